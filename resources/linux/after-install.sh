#!/bin/sh
# deb postinst (electron-builder deb.afterInstall): the device access rules, then reload udev.
set -e
install -m 0644 "/opt/${sanitizedProductName}/resources/udev/99-orthotwin.rules" /etc/udev/rules.d/99-orthotwin.rules
if command -v udevadm >/dev/null 2>&1; then
  udevadm control --reload-rules || true
  udevadm trigger --subsystem-match=tty --subsystem-match=usb --subsystem-match=video4linux || true
fi
