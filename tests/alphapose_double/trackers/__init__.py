"""Double of ``trackers``: ``track`` returns the people with the double tracker's ids."""


def track(tracker, args, orig_img, inps, boxes, hm, cropped_boxes, im_name, scores):
    ids = tracker.update(orig_img, inps, boxes, hm, cropped_boxes, im_name, scores)
    return boxes, scores, ids, hm, cropped_boxes
