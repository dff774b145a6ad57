"""Double of ``trackers.tracker_api``: ``Tracker(opt, args)`` numbers people 101, 102, ...
in the order given (the real one matches re-id features)."""


class Tracker:
    def __init__(self, opt, args):
        with open(opt.loadmodel, "rb"):
            pass

    def update(self, img0, inps=None, bboxs=None, pose=None, cropped_boxes=None, file_name="",
               pscores=None, _debug=False):
        return [101 + i for i in range(len(bboxs))]
