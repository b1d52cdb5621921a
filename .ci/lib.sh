# Sourced by the .ci scripts that run as root on a CI machine
# (container-check.sh, slurm-test.sh) after `set -euo pipefail`, with
# CI_NAME set to the script's name. It changes to the repository's root
# (repo), puts /usr/local/go/bin first on PATH and defines:
#
#   say MSG...          one line on stderr: "CI_NAME: HH:MM:SS MSG"
#   fail MSG...         say "FAIL: MSG" and exit 1
#   need_root [WHY]     fail unless run as root
#   apt_install PKG...  install Debian packages quietly, without recommends
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo=$(pwd)
export PATH="/usr/local/go/bin:$PATH"

say() { echo "$CI_NAME: $(date -u +%T) $*" >&2; }
fail() {
	say "FAIL: $*"
	exit 1
}
need_root() {
	[ "$(id -u)" = 0 ] || fail "run as root${1:+ ($1)}"
}
apt_install() {
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
