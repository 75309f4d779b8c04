#!/bin/sh
# Runs dropbear in the foreground (busybox init respawns it) on port 22 with the host key
# rc.sh prepared. -s: key authentication only. No -R: the key must be the injected one.
exec /usr/sbin/dropbear -F -E -s -p 22 -r /etc/dropbear/dropbear_ed25519_host_key
