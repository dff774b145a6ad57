"""Offline re-linking: fragments of one person, split by the online tracker, joined again.

ByteTrack forgets a person hidden for longer than its buffer and gives them a new id when they
reappear; on a whole video that splits one person into many ids. After the online pass the
worker has the whole video's detections, so this pass looks at the fragments (tracklets,
``pipeline.tracklets``) together and joins those that do not overlap in time when motion
(position and size extrapolated across the gap), appearance (colour descriptors) and build
(limb proportions) agree.

It is a min-cost flow over tracklets, as DeepLabCut's tracklet stitcher does
(``networkx.network_simplex``): each identity is a path of tracklets in time order, from a
source to a sink. Each link of a path costs ``log(cost / NEW_IDENTITY)``: a plausible link
(its cost, a share of the gates, under ``NEW_IDENTITY``) is worth taking, and a near-certain
one is worth far more than two doubtful ones, so a stray detection in a person's gap cannot
split them by taking both ends. Fragments shorter than ``MIN_ROWS`` are set aside, as the
stitcher does, and afterwards fill the gap of the identity they fit best.

- Without an expected number of people, every tracklet is kept and only plausible links
  (within every gate) are made: implausible fragments are never merged.
- With ``people=N``, at most N paths leave the source and each tracklet a path covers pays
  back ``KEEP`` plus its seconds of detection. Fragments may then also be joined across
  longer gaps or past the motion gates (a person who left the room and came back) at a cost
  that grows with how differently they look; a tracklet that fits none of the N (more people
  at once than N, or too short to be worth such a link) is left out of the linked layer and
  kept, as rejected, in the raw one.

The result depends only on its input (integer costs, a fixed build order), so a resumed run
links the same way, and two consecutive chunks of a long video are linked by re-linking
their joined raw layers (``core.raw_layer.RawLayer.concat``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ambientpose_desktop.core.keypoints import KeypointFormat
from ambientpose_desktop.core.pose_table import PoseTable
from ambientpose_desktop.pipeline.appearance import appearance_distance
from ambientpose_desktop.pipeline.tracklets import Tracklets, tracklets_of

NEW_IDENTITY = 0.5  # links that cost more (a share of the gates, below) are not plausible
MAX_GAP_S = 10.0  # longest gap bridged by a plausible link
# A new online id may begin while its person's old one still lives, on a duplicate pose that
# pose NMS kept (a shifted copy): fragments overlapping this long may be joined too, and in
# the shared frames the weaker of the two rows is left out of the linked layer.
MAX_OVERLAP_S = 0.2
# Gates: a link past any of them is implausible (taken only with ``people``, at a premium).
MOTION_GATE = 3.0  # predicted vs seen position, in spreads (below)
SIZE_GATE = 3.0
APPEARANCE_GATE = 0.45  # appearance_distance: one person 0.1-0.35, two people 0.2-0.7
BUILD_GATE = 0.35  # mean |log| ratio of limb proportions
WEIGHTS = {"motion": 0.35, "size": 0.1, "appearance": 0.4, "build": 0.15}
DAMPING_S = 0.5  # people do not keep their speed for long: extrapolation fades this fast
# A fragment of at most this many rows inside a hole of a longer one, whose boxes overlap
# it this much on both sides, is the same person (``_nested``).
NESTED_ROWS = 15
NESTED_IOU = 0.5
# Fragments of fewer rows than this (and shorter than a third of a second, for slow frame
# rates) say too little to be linked on their own (DeepLabCut's stitcher sets them aside
# likewise): after the flow each joins the identity whose gap it fits best, or stands alone
# (without ``people``, or while fewer than ``people`` identities exist) or is left out.
MIN_ROWS = 10
# With ``people``: links past the gates, to the next few tracklets that begin after each end,
# cost ``FAR_LINK`` plus the appearance and build terms; a covered tracklet pays back ``KEEP``
# plus its seconds of detection.
FAR_CANDIDATES = 4
FAR_LINK = 1.0
KEEP = 0.5
_SURE = 1e-3  # a link this cheap (or cheaper) is as good as certain
_SCALE = 1000  # costs are integers for the solver: thousandths


@dataclass
class Relinked:
    """The outcome of ``relink`` for the rows of the table it was given."""

    idx: np.ndarray  # (rows,) int32: identity from 1 in order of first appearance; -1 rejected
    tracklets: int  # fragments the online tracker left
    joins: list[tuple[int, int, int]]  # (first frame of the later, online id, online id)
    identities: int

    @property
    def rejected_rows(self) -> np.ndarray:
        return np.flatnonzero(self.idx < 0)

    def apply(self, table: PoseTable) -> PoseTable:
        """The linked layer: ``table`` with the new ids, rejected rows left out."""
        linked = table.select(self.idx >= 0)
        linked.idx = self.idx[self.idx >= 0]
        return linked


def relink(table: PoseTable, appearance: np.ndarray, times: np.ndarray, fmt: KeypointFormat,
           people: int | None = None) -> Relinked:
    """Join the online tracker's fragments in ``table`` into identities.

    ``appearance`` holds one descriptor per row, ``times`` the time of each frame in seconds
    (variable frame rates are fine), ``people`` the most identities the result may carry
    (``None``: as many as the video needs)."""
    if people is not None and people < 1:
        raise ValueError(f"people must be at least 1, not {people}")
    times = np.asarray(times, np.float64)
    if len(times) != table.num_frames or np.any(np.diff(times) < 0):
        raise ValueError("relink needs one time per frame, never decreasing")
    if not table.num_rows:
        return Relinked(np.zeros(0, np.int32), 0, [], 0)
    tracks = tracklets_of(table, appearance, times, fmt)
    absorbed = _nested(tracks, table)
    if absorbed:
        ids = table.idx.copy()
        for inner, outer in absorbed.items():
            ids[tracks.rows[tracks.bounds[inner]:tracks.bounds[inner + 1]]] = tracks.ids[outer]
        joins = [(int(tracks.first[i]), int(tracks.ids[o]), int(tracks.ids[i]))
                 for i, o in absorbed.items()]
        tracks = tracklets_of(replace(table, idx=ids), appearance, times, fmt)
    else:
        joins = []
    lengths = np.diff(tracks.bounds)
    short = (lengths < MIN_ROWS) & (tracks.end - tracks.start < MIN_ROWS / 30.0)
    members = np.flatnonzero(~short)
    following, heads = _paths(tracks, members, times, people)
    group = np.full(len(tracks), -1, np.int64)
    for number, t in enumerate(heads):
        while t is not None:
            group[t] = number
            t = following.get(t)
    joins += [(int(tracks.first[b]), int(tracks.ids[a]), int(tracks.ids[b]))
              for a, b in following.items()]
    residuals = np.flatnonzero(short)
    hosts = _hosts(tracks, group, residuals)
    identities = len(heads)
    taken: dict[int, list[tuple[int, int]]] = {}  # frames filled by short fragments so far
    for k in np.argsort(-tracks.weight[residuals], kind="stable"):
        r, host = int(residuals[k]), int(hosts[k])
        span = (int(tracks.first[r]), int(tracks.last[r]))
        if host >= 0:
            spans = taken.setdefault(int(group[host]), [])
            if all(span[1] < lo or span[0] > hi for lo, hi in spans):
                spans.append(span)
                group[r] = group[host]
                joins.append((span[0], int(tracks.ids[host]), int(tracks.ids[r])))
                continue
        if people is None or identities < people:
            group[r] = group.max(initial=-1) + 1
            identities += 1
    identity = _numbered(group, tracks.first)
    idx = np.full(table.num_rows, -1, np.int32)
    idx[tracks.rows] = np.repeat(identity, lengths)
    _leave_out_doubles(idx, table)
    return Relinked(idx=idx, tracklets=len(tracks) + len(absorbed), joins=sorted(joins),
                    identities=int(identity.max(initial=0)))


def _numbered(group: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Groups renumbered 1, 2, 3… in order of first appearance; -1 stays -1."""
    out = np.full(len(group), -1, np.int64)
    used, members = np.unique(group[group >= 0], return_inverse=True)
    if not len(used):
        return out
    begins = np.full(len(used), np.iinfo(np.int64).max)
    np.minimum.at(begins, members, first[group >= 0])
    rank = np.empty(len(used), np.int64)
    rank[np.lexsort((used, begins))] = np.arange(1, len(used) + 1)
    out[group >= 0] = rank[members]
    return out


def _hosts(tracks: Tracklets, group: np.ndarray, residuals: np.ndarray) -> np.ndarray:
    """For each short fragment, the tracklet of the identity it continues best (-1: none):
    it must sit in a gap of that identity, plausibly after the tracklet before the gap and
    before the one after it, at a cost below ``NEW_IDENTITY``."""
    best = np.full(len(residuals), -1, np.int64)
    best_cost = np.full(len(residuals), NEW_IDENTITY)
    if not len(residuals):
        return best
    r_first, r_last = tracks.first[residuals], tracks.last[residuals]
    for g in np.unique(group[group >= 0]):
        own = np.flatnonzero(group == g)
        own = own[np.argsort(tracks.first[own], kind="stable")]
        pos = np.searchsorted(tracks.first[own], r_first)
        before, after = own[np.maximum(pos - 1, 0)], own[np.minimum(pos, len(own) - 1)]
        has_before, has_after = pos > 0, pos < len(own)
        fits = ((~has_before | (tracks.last[before] < r_first))
                & (~has_after | (tracks.first[after] > r_last)))
        cost_in, ok_in = _cost(tracks, before, residuals)
        cost_out, ok_out = _cost(tracks, residuals, after)
        fits &= (~has_before | ok_in) & (~has_after | ok_out)
        cost = np.maximum(np.where(has_before, cost_in["total"], 0),
                          np.where(has_after, cost_out["total"], 0))
        better = fits & (cost < best_cost)
        best[better] = np.where(has_before, before, after)[better]
        best_cost[better] = cost[better]
    return best


def _paths(tracks: Tracklets, members: np.ndarray, times: np.ndarray,
           people: int | None) -> tuple[dict[int, int], list[int]]:
    """The min-cost flow over the tracklets ``members``: which follows which, and the first
    tracklet of each identity (members on no path are rejected)."""
    import networkx as nx

    count = len(members)
    if not count:
        return {}, []
    ends, starts, weights = _links(tracks, members, far=people is not None)
    supply = count if people is None else min(people, count)
    if people is None:  # every tracklet is kept: its pay-back outweighs any path through it
        keep = np.full(len(tracks), 10.0 * count + 10.0)
    else:  # seconds of confident detection, whatever the frame rate
        frame_s = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
        keep = KEEP + tracks.weight * (frame_s if frame_s > 0 else 1 / 30)
    graph = nx.DiGraph()
    graph.add_node("source", demand=-supply)
    graph.add_node("sink", demand=supply)
    graph.add_edge("source", "sink", capacity=supply, weight=0)
    for t in members.tolist():
        graph.add_edge("source", ("in", t), capacity=1, weight=0)
        graph.add_edge(("in", t), ("out", t), capacity=1, weight=-round(keep[t] * _SCALE))
        graph.add_edge(("out", t), "sink", capacity=1, weight=0)
    for a, b, w in zip(ends.tolist(), starts.tolist(), weights.tolist(), strict=True):
        graph.add_edge(("out", a), ("in", b), capacity=1, weight=round(w * _SCALE))
    _, flow = nx.network_simplex(graph)
    following = {}
    for a in members.tolist():
        for node, used in flow[("out", a)].items():
            if used and node != "sink":
                following[a] = node[1]
    heads = sorted((t for t in members.tolist()
                    if flow["source"][("in", t)] and flow[("in", t)][("out", t)]),
                   key=lambda t: (tracks.first[t], t))
    return following, heads


def _nested(tracks: Tracklets, table: PoseTable) -> dict[int, int]:
    """Short fragments that fill a hole of a longer one (the online tracker missed its
    person for a frame or two and gave the detection there a new id): ``{inner: outer}``
    where the inner one's first and last boxes overlap the outer one's boxes just before and
    after by at least ``NESTED_IOU``. Such a fragment overlaps the longer one in time, so the
    flow could never join the two."""
    lengths = np.diff(tracks.bounds)
    frames = table.frame_of_row()[tracks.rows]
    boxes = table.boxes
    found: dict[int, int] = {}
    for inner in np.flatnonzero(lengths <= NESTED_ROWS):
        spans = (tracks.first < tracks.first[inner]) & (tracks.last > tracks.last[inner])
        best, best_iou = -1, NESTED_IOU
        for outer in np.flatnonzero(spans & (lengths > lengths[inner])):
            seg = frames[tracks.bounds[outer]:tracks.bounds[outer + 1]]
            lo = np.searchsorted(seg, tracks.first[inner])
            hi = np.searchsorted(seg, tracks.last[inner], side="right")
            if hi > lo:  # the outer one has rows there: not a hole
                continue
            before = tracks.rows[tracks.bounds[outer] + lo - 1]
            after = tracks.rows[tracks.bounds[outer] + hi]
            first = tracks.rows[tracks.bounds[inner]]
            last = tracks.rows[tracks.bounds[inner + 1] - 1]
            fit = min(_iou(boxes[before], boxes[first]), _iou(boxes[last], boxes[after]))
            if fit > best_iou:
                best, best_iou = int(outer), fit
        if best >= 0:
            found[int(inner)] = best
    return {inner: _root(outer, found) for inner, outer in found.items()}


def _root(t: int, found: dict[int, int]) -> int:
    while t in found:
        t = found[t]
    return t


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = w * h
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


def _leave_out_doubles(idx: np.ndarray, table: PoseTable) -> None:
    """Where joined fragments overlapped, one identity has two rows in a frame: keep the
    higher-scored, leave the other out (``-1``)."""
    frame = table.frame_of_row()
    order = np.lexsort((-table.scores, frame, idx))
    same = (idx[order][1:] == idx[order][:-1]) & (frame[order][1:] == frame[order][:-1])
    idx[order[1:][same & (idx[order][1:] >= 0)]] = -1


def _links(tracks: Tracklets, members: np.ndarray,
           far: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate links among ``members`` (end tracklet, start tracklet, weight in the flow):
    plausible ones within ``MAX_GAP_S`` (negative weights), and with ``far`` the links past
    the gates (positive)."""
    order = members[np.argsort(tracks.start[members], kind="stable")]
    starts = tracks.start[order]
    begin = np.searchsorted(starts, tracks.end[members] - MAX_OVERLAP_S, side="left")
    near_stop = np.searchsorted(starts, tracks.end[members] + MAX_GAP_S, side="right")
    stop = np.maximum(near_stop, begin + FAR_CANDIDATES) if far else near_stop
    stop = np.minimum(stop, len(order))
    spans = np.maximum(stop - begin, 0)
    a = np.repeat(members, spans)
    offset = np.arange(int(spans.sum())) - np.repeat(np.cumsum(spans) - spans, spans)
    b = order[np.repeat(begin, spans) + offset]
    later = (tracks.first[b] > tracks.first[a]) & (tracks.last[b] > tracks.last[a])
    a, b = a[later], b[later]
    cost, plausible = _cost(tracks, a, b)
    weight = np.log(np.maximum(cost["total"], _SURE) / NEW_IDENTITY)
    if far:
        premium = FAR_LINK + 2 * (WEIGHTS["appearance"] * _squared(cost["appearance"])
                                  + WEIGHTS["build"] * _squared(cost["build"]))
        return a, b, np.where(plausible, weight, premium)
    return a[plausible], b[plausible], weight[plausible]


def _squared(z: np.ndarray) -> np.ndarray:
    return np.minimum(z, 3.0) ** 2


def _cost(tracks: Tracklets, a: np.ndarray, b: np.ndarray) -> tuple[dict, np.ndarray]:
    """Cost of continuing tracklet ``a`` with tracklet ``b`` (arrays of pairs), each term as
    a share of its gate, and whether every term is within its gate."""
    gap = np.maximum(tracks.start[b] - tracks.end[a], 1e-3)  # overlaps: as if adjacent
    reach = DAMPING_S * (1 - np.exp(-gap / DAMPING_S))
    tail, head = tracks.tail[a], tracks.head[b]
    ahead = tail[:, :2] + tracks.tail_velocity[a, :2] * reach[:, None]
    behind = head[:, :2] - tracks.head_velocity[b, :2] * reach[:, None]
    miss = (np.linalg.norm(ahead - head[:, :2], axis=1)
            + np.linalg.norm(behind - tail[:, :2], axis=1)) / 2
    height = np.exp((tail[:, 2] + head[:, 2]) / 2)
    motion = miss / (height * (0.1 + 0.5 * gap)) / MOTION_GATE
    size = np.abs(head[:, 2] - tail[:, 2]) / np.minimum(0.15 + 0.1 * gap, 0.4) / SIZE_GATE
    looks = appearance_distance(tracks.appearance[a], tracks.appearance[b]) / APPEARANCE_GATE
    looks = np.where(np.isnan(looks), 0.5, looks)  # no part seen in both: no opinion
    diff = np.abs(tracks.build[a] - tracks.build[b])
    seen = np.isfinite(diff)
    build = np.where(seen.any(1), np.where(seen, diff, 0).sum(1) / np.maximum(seen.sum(1), 1),
                     0.0) / BUILD_GATE
    terms = {"motion": motion, "size": size, "appearance": looks, "build": build}
    total = sum(WEIGHTS[name] * _squared(value) for name, value in terms.items())
    plausible = ((gap <= MAX_GAP_S) & (total < NEW_IDENTITY)
                 & np.all(np.stack(list(terms.values())) <= 1.0, axis=0))
    return {**terms, "total": total}, plausible
