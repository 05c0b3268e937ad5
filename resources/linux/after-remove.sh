#!/bin/sh
# deb postrm (electron-builder deb.afterRemove): the device access rules go with the application.
rm -f /etc/udev/rules.d/99-orthotwin.rules
if command -v udevadm >/dev/null 2>&1; then udevadm control --reload-rules || true; fi
