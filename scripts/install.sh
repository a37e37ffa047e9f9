#!/usr/bin/env bash
# Installs mailintake as a systemd service (run as root):
#   scripts/install.sh [--binary PATH] [--root DIR]
#
# Builds a release binary (unless --binary names one) and installs
#   /usr/local/bin/mailintake
#   /etc/mailintake/mailintake.conf         the documented example, only if there is none yet
#   /etc/mailintake/templates/, vocabulary/  files that are missing; a shipped file that differs
#                                            from the installed one is put beside it as FILE.dist
#   /etc/mailintake/imap.password, smtp.password   empty, mode 0600, if missing: write the passwords there
#   /etc/systemd/system/mailintake.service, mailintake@.service
#   /etc/sysusers.d/mailintake.conf          the system user and group `mailintake` (created now,
#                                            by systemd-sysusers, or useradd where it is missing)
#   /var/lib/mailintake                      mode 2770, owner and group mailintake: the database's folder,
#                                            shared with the staff in the group (systemd keeps it so)
# and reloads systemd. Nothing that exists is ever overwritten, except the binary and the units.
# --root DIR installs under DIR instead of / (for packaging and for the tests): the files only;
# the user, the group and the folder's owner are made on the machine itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
binary="" root=""
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) binary=$2; shift 2 ;;
        --root) root=$2; shift 2 ;;
        *) echo "usage: $0 [--binary PATH] [--root DIR]" >&2; exit 2 ;;
    esac
done
if [ -z "$binary" ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
    scripts/mailstack.sh install >/dev/null 2>&1 || true   # libcurl and SQLite headers, if missing
    swift build -c release --static-swift-stdlib
    binary="$(swift build -c release --static-swift-stdlib --show-bin-path)/mailintake"
fi
[ -x "$binary" ] || { echo "install: no executable at $binary" >&2; exit 2; }

etc="$root/etc/mailintake"
install -d -m 755 "$root/usr/local/bin" "$etc" "$root/etc/systemd/system"
install -m 755 "$binary" "$root/usr/local/bin/mailintake"
echo "installed $root/usr/local/bin/mailintake"

if [ -e "$etc/mailintake.conf" ]; then
    echo "kept      $etc/mailintake.conf (the shipped example is $etc/mailintake.conf.dist)"
    install -m 644 config/mailintake.conf "$etc/mailintake.conf.dist"
else
    install -m 644 config/mailintake.conf "$etc/mailintake.conf"
    echo "installed $etc/mailintake.conf: edit it before starting the service"
fi

for folder in templates vocabulary; do
    install -d -m 755 "$etc/$folder"
    for file in config/$folder/*; do
        target="$etc/$folder/$(basename "$file")"
        if [ ! -e "$target" ]; then
            install -m 644 "$file" "$target"
            echo "installed $target"
        elif ! cmp -s "$file" "$target"; then
            install -m 644 "$file" "$target.dist"
            echo "kept      $target (yours differs; the shipped version is $target.dist)"
        fi
    done
done

for secret in imap.password smtp.password; do
    if [ ! -e "$etc/$secret" ]; then
        install -m 600 /dev/null "$etc/$secret"
        echo "created   $etc/$secret (empty, mode 0600): write the password into it"
    fi
done

install -m 644 systemd/mailintake.service systemd/mailintake@.service "$root/etc/systemd/system/"
echo "installed $root/etc/systemd/system/mailintake.service and mailintake@.service"
install -d -m 755 "$root/etc/sysusers.d"
install -m 644 systemd/mailintake.sysusers "$root/etc/sysusers.d/mailintake.conf"
echo "installed $root/etc/sysusers.d/mailintake.conf"

if [ -z "$root" ]; then
    # The service's user and the staff group: sysusers.d is the declaration; useradd where
    # systemd-sysusers is missing (a container).
    if command -v systemd-sysusers >/dev/null; then
        systemd-sysusers /etc/sysusers.d/mailintake.conf
    elif ! getent passwd mailintake >/dev/null; then
        useradd --system --user-group --home-dir /var/lib/mailintake --no-create-home --shell /usr/sbin/nologin mailintake
    fi
    # systemd makes and keeps the folder (StateDirectoryMode=2770); made here too, so staff
    # commands and `run --once` by the administrator work before the first start.
    install -d -m 2770 -o mailintake -g mailintake /var/lib/mailintake
    # The secrets stay root's (systemd hands them to the service as credentials); `run` by hand
    # as the service user needs them readable by it: sudo chown mailintake FILE.
    echo "user and group mailintake ready; add staff with: sudo usermod -aG mailintake USERNAME"
fi
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    echo "systemd reloaded. Next: edit /etc/mailintake/mailintake.conf, write the two passwords, then"
    echo "  mailintake --config /etc/mailintake/mailintake.conf check-config"
    echo "  systemctl enable --now mailintake && journalctl -u mailintake -f"
fi
