"""Find, photograph and close an X11 window the way a user would, for packaging/smoke.sh.

Talks to libX11 through ctypes, so it runs with any Python 3 and needs neither xdotool nor
ImageMagick on the machine; closing sends WM_DELETE_WINDOW (the title-bar close button), so
the app goes through its normal shutdown.

    x11_window.py shot TITLE PNG [--timeout S] [--pid P]   wait for a viewable window whose
                                  title contains TITLE, save it as PNG, print size and colours
    x11_window.py close TITLE                    ask that window to close
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import struct
import sys
import time
import zlib
from pathlib import Path

c_ulong, c_long, c_int, c_void_p = ctypes.c_ulong, ctypes.c_long, ctypes.c_int, ctypes.c_void_p
IS_VIEWABLE, Z_PIXMAP, ALL_PLANES, ANY_PROPERTY_TYPE = 2, 2, 0xFFFFFFFF, 0
CLIENT_MESSAGE = 33


class WindowAttributes(ctypes.Structure):
    _fields_ = [("x", c_int), ("y", c_int), ("width", c_int), ("height", c_int),
                ("border_width", c_int), ("depth", c_int), ("visual", c_void_p),
                ("root", c_ulong), ("class_", c_int), ("bit_gravity", c_int),
                ("win_gravity", c_int), ("backing_store", c_int), ("backing_planes", c_ulong),
                ("backing_pixel", c_ulong), ("save_under", c_int), ("colormap", c_ulong),
                ("map_installed", c_int), ("map_state", c_int), ("all_event_masks", c_long),
                ("your_event_mask", c_long), ("do_not_propagate_mask", c_long),
                ("override_redirect", c_int), ("screen", c_void_p)]


class Image(ctypes.Structure):
    _fields_ = [("width", c_int), ("height", c_int), ("xoffset", c_int), ("format", c_int),
                ("data", c_void_p), ("byte_order", c_int), ("bitmap_unit", c_int),
                ("bitmap_bit_order", c_int), ("bitmap_pad", c_int), ("depth", c_int),
                ("bytes_per_line", c_int), ("bits_per_pixel", c_int), ("red_mask", c_ulong),
                ("green_mask", c_ulong), ("blue_mask", c_ulong)]


class ClientMessage(ctypes.Structure):
    _fields_ = [("type", c_int), ("serial", c_ulong), ("send_event", c_int),
                ("display", c_void_p), ("window", c_ulong), ("message_type", c_ulong),
                ("format", c_int), ("data", c_long * 5)]


class Event(ctypes.Union):
    _fields_ = [("xclient", ClientMessage), ("pad", c_long * 24)]


def _xlib() -> ctypes.CDLL:
    name = ctypes.util.find_library("X11") or "libX11.so.6"
    x = ctypes.CDLL(name)
    x.XOpenDisplay.restype = c_void_p
    x.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x.XDefaultRootWindow.restype = c_ulong
    x.XDefaultRootWindow.argtypes = [c_void_p]
    x.XInternAtom.restype = c_ulong
    x.XInternAtom.argtypes = [c_void_p, ctypes.c_char_p, c_int]
    x.XQueryTree.argtypes = [c_void_p, c_ulong, ctypes.POINTER(c_ulong), ctypes.POINTER(c_ulong),
                             ctypes.POINTER(ctypes.POINTER(c_ulong)), ctypes.POINTER(ctypes.c_uint)]
    x.XGetWindowAttributes.argtypes = [c_void_p, c_ulong, ctypes.POINTER(WindowAttributes)]
    x.XGetWindowProperty.argtypes = [
        c_void_p, c_ulong, c_ulong, c_long, c_long, c_int, c_ulong, ctypes.POINTER(c_ulong),
        ctypes.POINTER(c_int), ctypes.POINTER(c_ulong), ctypes.POINTER(c_ulong),
        ctypes.POINTER(ctypes.c_char_p)]
    x.XGetImage.restype = ctypes.POINTER(Image)
    x.XGetImage.argtypes = [c_void_p, c_ulong, c_int, c_int, ctypes.c_uint, ctypes.c_uint,
                            c_ulong, c_int]
    x.XSendEvent.argtypes = [c_void_p, c_ulong, c_int, c_long, ctypes.POINTER(Event)]
    x.XFlush.argtypes = [c_void_p]
    x.XFree.argtypes = [c_void_p]
    return x


class Display:
    def __init__(self) -> None:
        self.x = _xlib()
        self.handle = self.x.XOpenDisplay(None)
        if not self.handle:
            raise SystemExit("error: cannot open the X display (is DISPLAY set?)")
        self.root = self.x.XDefaultRootWindow(self.handle)

    def atom(self, name: str) -> int:
        return self.x.XInternAtom(self.handle, name.encode(), 0)

    def title(self, window: int) -> str:
        for prop in ("_NET_WM_NAME", "WM_NAME"):
            kind, fmt, count, after = c_ulong(), c_int(), c_ulong(), c_ulong()
            value = ctypes.c_char_p()
            self.x.XGetWindowProperty(self.handle, window, self.atom(prop), 0, 1024, 0,
                                      ANY_PROPERTY_TYPE, ctypes.byref(kind), ctypes.byref(fmt),
                                      ctypes.byref(count), ctypes.byref(after),
                                      ctypes.byref(value))
            if value.value:
                text = value.value.decode("utf-8", "replace")
                self.x.XFree(value)
                return text
        return ""

    def attributes(self, window: int) -> WindowAttributes:
        attrs = WindowAttributes()
        self.x.XGetWindowAttributes(self.handle, window, ctypes.byref(attrs))
        return attrs

    def find(self, title: str) -> int | None:
        """A viewable top-level window whose title contains ``title``."""
        root, parent, children, count = c_ulong(), c_ulong(), ctypes.POINTER(c_ulong)(), \
            ctypes.c_uint()
        self.x.XQueryTree(self.handle, self.root, ctypes.byref(root), ctypes.byref(parent),
                          ctypes.byref(children), ctypes.byref(count))
        windows = [children[i] for i in range(count.value)]
        if children:
            self.x.XFree(children)
        for window in windows:
            if self.attributes(window).map_state == IS_VIEWABLE and title in self.title(window):
                return window
        return None

    def wait(self, title: str, timeout: float, pid: int | None = None) -> int:
        """The window, once it is up; gives up early if process ``pid`` has ended."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            window = self.find(title)
            if window:
                return window
            if pid is not None and not Path(f"/proc/{pid}").exists():
                raise SystemExit(f"error: the app (pid {pid}) ended before showing a window")
            time.sleep(0.25)
        raise SystemExit(f"error: no window titled '*{title}*' appeared within {timeout:.0f} s")

    def rgb(self, window: int) -> tuple[int, int, bytes]:
        """The window's pixels as packed RGB rows (24-bit TrueColor, as Xvfb gives)."""
        attrs = self.attributes(window)
        image = self.x.XGetImage(self.handle, window, 0, 0, attrs.width, attrs.height,
                                 ALL_PLANES, Z_PIXMAP)
        if not image:
            raise SystemExit("error: XGetImage failed")
        img = image.contents
        if img.bits_per_pixel != 32 or img.red_mask != 0xFF0000 or img.byte_order != 0:
            raise SystemExit("error: only 32-bit little-endian TrueColor screens are supported")
        raw = ctypes.string_at(img.data, img.bytes_per_line * img.height)
        width, height, stride = img.width, img.height, img.bytes_per_line
        rows = bytearray()
        for y in range(height):
            line = raw[y * stride:y * stride + width * 4]
            row = bytearray(width * 3)
            row[0::3], row[1::3], row[2::3] = line[2::4], line[1::4], line[0::4]
            rows += row
        return width, height, bytes(rows)

    def close(self, window: int) -> None:
        event = Event()
        event.xclient.type = CLIENT_MESSAGE
        event.xclient.window = window
        event.xclient.message_type = self.atom("WM_PROTOCOLS")
        event.xclient.format = 32
        event.xclient.data[0] = self.atom("WM_DELETE_WINDOW")
        self.x.XSendEvent(self.handle, window, 0, 0, ctypes.byref(event))
        self.x.XFlush(self.handle)


def png(width: int, height: int, rgb: bytes) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    stride = width * 3
    raw = b"".join(b"\0" + rgb[y * stride:(y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def colours(rgb: bytes, step: int = 31) -> int:
    """Distinct colours among sampled pixels: a drawn window has many, a blank one one or two."""
    return len({rgb[i:i + 3] for i in range(0, len(rgb) - 2, 3 * step)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    shot = sub.add_parser("shot")
    shot.add_argument("title")
    shot.add_argument("png", type=Path)
    shot.add_argument("--timeout", type=float, default=60)
    shot.add_argument("--min-colours", type=int, default=8)
    shot.add_argument("--pid", type=int, help="stop waiting if this process ends")
    close = sub.add_parser("close")
    close.add_argument("title")
    args = parser.parse_args()
    display = Display()
    if args.command == "close":
        display.close(display.wait(args.title, 5))
        return 0
    window = display.wait(args.title, args.timeout, args.pid)
    time.sleep(1.0)  # let the first frames paint
    width, height, rgb = display.rgb(window)
    args.png.write_bytes(png(width, height, rgb))
    found = colours(rgb)
    print(f"{args.png}: {width}x{height}, {found} colours, title {display.title(window)!r}")
    if found < args.min_colours:
        print(f"error: the window looks blank ({found} colours)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
