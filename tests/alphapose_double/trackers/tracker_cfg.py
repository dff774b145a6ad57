"""Double of ``trackers.tracker_cfg``: the weights path AlphaPose's tracker loads."""

from types import SimpleNamespace

cfg = SimpleNamespace(loadmodel="trackers/weights/osnet_ain_x1_0_msmt17_256x128_amsgrad_ep50_"
                                "lr0.0015_coslr_b64_fb10_softmax_labsmth_flip_jitter.pth")
