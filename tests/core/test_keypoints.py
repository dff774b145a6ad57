import pytest

from ambientpose_desktop.core.keypoints import (
    COCO_17,
    FORMATS,
    HALPE_26,
    HALPE_136,
    LEFT,
    RIGHT,
    format_for_count,
    format_for_names,
    get_format,
)


def test_sizes():
    assert (COCO_17.num_keypoints, HALPE_26.num_keypoints, HALPE_136.num_keypoints) == (17, 26, 136)


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_skeleton_edges_are_valid_and_coloured(fmt):
    assert len(fmt.edge_colors) == len(fmt.skeleton)
    assert all(0 <= a < fmt.num_keypoints and 0 <= b < fmt.num_keypoints for a, b in fmt.skeleton)
    assert len(set(fmt.names)) == fmt.num_keypoints


def test_halpe_extends_coco_names_in_order():
    assert HALPE_26.names[:17] == COCO_17.names
    assert HALPE_136.names[:26] == HALPE_26.names


def test_side_colours():
    left_leg = COCO_17.skeleton.index((15, 13))
    right_arm = COCO_17.skeleton.index((8, 10))
    assert COCO_17.edge_color(left_leg) == LEFT
    assert COCO_17.edge_color(right_arm) == RIGHT


def test_lookup():
    assert get_format("halpe26") is HALPE_26
    assert format_for_count(136) is HALPE_136
    with pytest.raises(KeyError, match="unknown keypoint format"):
        get_format("openpose25")


@pytest.mark.parametrize("fmt", list(FORMATS.values()), ids=list(FORMATS))
def test_every_keypoint_has_an_oks_sigma(fmt):
    assert len(fmt.sigmas) == fmt.num_keypoints
    assert all(0 < s < 0.2 for s in fmt.sigmas)
    assert fmt.sigmas[:17] == COCO_17.sigmas


def test_coco_sigmas_are_cocoevals():
    params = pytest.importorskip("pycocotools.cocoeval").Params(iouType="keypoints")
    assert COCO_17.sigmas == pytest.approx(list(params.kpt_oks_sigmas))


def test_a_files_keypoint_names_find_their_format_in_any_order():
    names = ["Right Ankle", "nose", *COCO_17.names[1:16]]  # case and spaces aside
    fmt, index = format_for_names(names)
    assert fmt is COCO_17 and index == [16, *range(16)]
    assert format_for_names(list(HALPE_26.names))[0] is HALPE_26


@pytest.mark.parametrize("names", [list(COCO_17.names[:16]), [*COCO_17.names, "tail"],
                                   [*COCO_17.names[:16], "nose"], ["snout", "tail"]])
def test_names_that_are_no_format_are_refused(names):
    with pytest.raises(KeyError, match="not those of a keypoint format AmbientPose knows"):
        format_for_names(names)
