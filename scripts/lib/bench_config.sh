# Sourced by scripts/bench.sh and scripts/layout.sh: building the release binary, a work folder
# with a running mail stack, and mailintake configurations for it.
# mailintake_config DIR FOLDER KEYWORD [acks]: an installation polling FOLDER, flagging with KEYWORD;
# prints the configuration's path.
mailintake_config() {
    local dir=$1 folder=$2 keyword=$3 acks=${4:-no}
    rm -rf "$dir"
    local config
    config=$(scripts/lib/write_config.sh "$work/stack" "$dir")
    sed -i "s/^mailbox = INBOX$/mailbox = $folder\nkeyword = $keyword/" "$config"
    if [ "$acks" = yes ]; then
        # Every message is acknowledged: no rate limit may hold any back.
        sed -i 's/^reference_prefix = MB$/reference_prefix = MB\nmax_per_sender_per_day = 1000\nmax_per_hour = 100000/' "$config"
    else
        # Ingest only: no acknowledgements and no staff notifications, so nothing goes over SMTP.
        sed -i 's/^reference_prefix = MB$/reference_prefix = MB\nenabled = no/; /^\[routing\]$/,/^$/d' "$config"
    fi
    echo "$config"
}

# release_binary: builds the release binary as scripts/install.sh does; prints its path.
release_binary() {
    swift build -c release --static-swift-stdlib 2>&1 | tail -1 >&2
    echo "$(swift build -c release --static-swift-stdlib --show-bin-path)/mailintake"
}

# start_work NAME: a new folder $work with a running mail stack in $work/stack, its settings
# exported; both go when the script exits.
start_work() {
    work=$(mktemp -d "/tmp/mi-$1.XXXXXX")
    chmod 755 "$work"  # Dovecot's unprivileged processes must traverse it
    trap 'scripts/mailstack.sh stop "$work/stack"; rm -rf "$work"' EXIT
    scripts/mailstack.sh start "$work/stack"
    # shellcheck disable=SC1091
    . "$work/stack/env"
}
