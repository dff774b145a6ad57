#!/usr/bin/env bash
# Adds AmbientPose to the desktop's application menu for this user (no root needed): the
# .desktop file and the icons go under ${XDG_DATA_HOME:-~/.local/share}.
#
#   install_desktop_entry.sh [PATH/TO/AmbientPose]   install (default: the bundle this script
#                                                     sits in, or dist/AmbientPose of the checkout)
#   install_desktop_entry.sh --uninstall             remove what it installed
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
entry="$data/applications/ambientpose.desktop"
icons="$data/icons/hicolor"

refresh_caches() {
  if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$data/applications" || true
  fi
  if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t "$icons" || true
  fi
}

if [ "${1:-}" = "--uninstall" ]; then
  rm -f "$entry" "$icons"/*/apps/ambientpose.png "$icons/scalable/apps/ambientpose.svg"
  refresh_caches
  echo "removed $entry and the AmbientPose icons"
  exit 0
fi

if [ -n "${1:-}" ]; then
  exe="$1"
elif [ -x "$here/AmbientPose" ]; then
  exe="$here/AmbientPose"
else
  exe="$here/../dist/AmbientPose/AmbientPose"
fi
if [ ! -x "$exe" ]; then
  echo "error: $exe is not the AmbientPose executable; build it (packaging/build.sh) or pass its path" >&2
  exit 2
fi
exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"

resources="$(dirname "$exe")/_internal/resources"
[ -d "$resources" ] || resources="$here/../resources"
if [ ! -f "$resources/ambientpose.desktop" ]; then
  echo "error: no resources/ambientpose.desktop next to $exe or in the checkout" >&2
  exit 2
fi

mkdir -p "$(dirname "$entry")" "$icons/scalable/apps"
for png in "$resources"/icons/ambientpose-*.png; do
  size="$(basename "$png" .png)"; size="${size#ambientpose-}"
  mkdir -p "$icons/${size}x${size}/apps"
  cp "$png" "$icons/${size}x${size}/apps/ambientpose.png"
done
cp "$resources/icons/ambientpose.svg" "$icons/scalable/apps/ambientpose.svg"

# Exec holds the absolute path, quoted: the quoting rule escapes " ` $ \, then the string rule
# doubles every backslash, and % is doubled for the field codes (Desktop Entry Specification).
q="${exe//\\/\\\\}"; q="${q//\"/\\\"}"; q="${q//\`/\\\`}"; q="${q//\$/\\\$}"
q="${q//\\/\\\\}"; q="${q//%/%%}"
while IFS= read -r line; do
  case "$line" in
    Exec=*) printf 'Exec="%s"\n' "$q" ;;
    TryExec=*) printf 'TryExec=%s\n' "$exe" ;;
    *) printf '%s\n' "$line" ;;
  esac
done < "$resources/ambientpose.desktop" > "$entry.tmp"
mv "$entry.tmp" "$entry"
refresh_caches
echo "installed $entry (runs $exe)"
