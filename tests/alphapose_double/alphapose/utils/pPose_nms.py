"""Double of ``alphapose.utils.pPose_nms``: keeps every person, in AlphaPose's return types."""


def pose_nms(bboxes, bbox_scores, bbox_ids, pose_preds, pose_scores, areaThres=0,
             use_heatmap_loss=True):
    n = len(bboxes)
    return ([bboxes[i].tolist() for i in range(n)], [bbox_scores[i] for i in range(n)],
            [bbox_ids[i].tolist() for i in range(n)], [pose_preds[i] for i in range(n)],
            [pose_scores[i] for i in range(n)], list(range(n)))
