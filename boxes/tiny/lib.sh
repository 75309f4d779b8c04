# Shared by /init and /etc/vmlab/rc.sh (sourced, busybox sh).

# log MESSAGE...: one "vmlab-init:" line on the console (ttyS0 with console=ttyS0).
log() { echo "vmlab-init: [$(cut -d" " -f1 /proc/uptime)] $*" >/dev/console; }

# load_modules [LIST]: insmods the modules listed in LIST (default /etc/vmlab/modules) in
# order (dependencies first, resolved when the box was built). Already-loaded modules are
# skipped; failures are logged, not fatal.
load_modules() {
  list="${1:-/etc/vmlab/modules}"
  kver="$(uname -r)"
  n=0 debug=""
  grep -q 'vmlab.debug' /proc/cmdline && debug=1
  while read -r ko; do
    [ -n "$debug" ] && log "insmod $ko"
    [ -n "$ko" ] || continue
    if insmod "/lib/modules/$kver/$ko" 2>/tmp/insmod.err; then
      n=$((n + 1))
    elif ! grep -q 'exists' /tmp/insmod.err; then
      log "warning: insmod $ko: $(cat /tmp/insmod.err)"
    fi
  done <"$list"
  log "loaded $n kernel modules from $list"
}

# cmdline_value KEY: the value of KEY=VALUE on the kernel cmdline (empty if absent).
cmdline_value() {
  for arg in $(cat /proc/cmdline); do
    case "$arg" in "$1"=*) echo "${arg#*=}"; return 0 ;; esac
  done
  return 1
}
