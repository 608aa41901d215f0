#!/usr/bin/env bash
# Manage a local, loopback-only, three-node RabbitMQ cluster for tests/cluster.
#
#   scripts/cluster.sh start        start the nodes that are down, join them into one cluster,
#                                   wait until each accepts AMQP as guest; prints the addresses
#   scripts/cluster.sh stop         stop the three nodes (ok if they are not running)
#   scripts/cluster.sh kill N       kill -9 node N (1, 2 or 3): a crash
#   scripts/cluster.sh restart N    start node N again (it rejoins the cluster) and wait for it
#   scripts/cluster.sh status       exit 0 if all three nodes accept AMQP, else 1
#   scripts/cluster.sh ports        print the nodes' AMQP addresses, one host:port a line
#   scripts/cluster.sh reset        stop the nodes and delete all their data (next start is fresh)
#   scripts/cluster.sh ctl N ARGS   rabbitmqctl ARGS against node N, e.g.
#                                   ctl 1 -q list_queues name leader --formatter json
#
# Nodes aioamqp1..3@$(hostname -s) listen for AMQP on 127.0.0.1:5682, 5683, 5684 (guest/guest,
# vhost "/"), for Erlang distribution on 127.0.0.1:25682..25684; no management plugin. Their
# data, logs and config live under $BASE, apart from the single test broker of
# scripts/broker.sh (rabbit@host on 5672), which this script never touches; both share epmd
# and the Erlang cookie of user rabbitmq.
set -euo pipefail

HOST=127.0.0.1
SHORT_HOST=$(hostname -s)
NODES=(1 2 3)
BASE=/var/lib/rabbitmq/aioamqp-cluster
WAIT_TIMEOUT=90
# start, stop, kill, restart and reset from several shells at once must not interleave.
LOCK_FILE=/run/lock/aioamqp-cluster.lock

# Keep the CLI tools on loopback too, and give them a range of distribution ports of their own
# so they never compete with the CLI calls of scripts/broker.sh (35672-35682 by default).
export ERL_EPMD_ADDRESS=$HOST
export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export RABBITMQ_CTL_DIST_PORT_MIN=35692
export RABBITMQ_CTL_DIST_PORT_MAX=35711
# A caller's settings for the single broker must not leak into these nodes.
unset RABBITMQ_NODENAME RABBITMQ_NODE_PORT RABBITMQ_DIST_PORT RABBITMQ_CONFIG_FILE \
    RABBITMQ_ADVANCED_CONFIG_FILE RABBITMQ_MNESIA_BASE RABBITMQ_MNESIA_DIR RABBITMQ_LOG_BASE \
    RABBITMQ_PID_FILE RABBITMQ_ENABLED_PLUGINS_FILE RABBITMQ_CONF_ENV_FILE RABBITMQ_LOGS

log() { echo "cluster.sh: $*" >&2; }

fail() {
    log "ERROR: $*"
    exit 1
}

node_name() { echo "aioamqp$1@$SHORT_HOST"; }
amqp_port() { echo $((5681 + $1)); }
dist_port() { echo $((25681 + $1)); }
node_dir() { echo "$BASE/node$1"; }
pid_file() { echo "$BASE/node$1/pid"; }
node_log() { echo "$BASE/node$1/log/$(node_name "$1").log"; }
# The server's stdout/stderr: boot errors before the node log is open (a bad config) end up here.
startup_log() { echo "$BASE/node$1/startup.log"; }

# rabbitmqctl against node $1 (the Debian wrapper runs it as user rabbitmq, whose HOME holds the
# Erlang cookie). Always with -n: without it, it would talk to the single test broker.
ctl() {
    local n=$1
    shift
    rabbitmqctl -n "$(node_name "$n")" "$@"
}

# Lines of each node log before this run: a failure shows only this run's part.
declare -A LOG_SKIP=()
# The rabbitmq-server processes this run started, by node number.
declare -A SERVER_PIDS=()

# Why node $1 failed: RabbitMQ's BOOT FAILED summary or the first errors, then the last lines of
# this run's part of its log (or of the server's output: early errors only go there).
show_log() {
    local n=$1 new out="" errs
    new=$(tail -n "+$((${LOG_SKIP[$n]:-0} + 1))" "$(node_log "$n")" 2>/dev/null) || true
    [[ -s $(startup_log "$n") ]] && out=$(<"$(startup_log "$n")")
    # Without the log lines' "<time> [error] <pid> " prefix.
    errs=$(printf '%s\n%s\n' "$new" "$out" | grep '\[error\]' \
        | sed -E 's/^[^[]*\[error\] <[^>]*> ?//') || true
    if grep -q 'BOOT FAILED' <<<"$errs"; then
        log "node $n: why its boot failed:"
        grep -m 1 -A 8 'BOOT FAILED' <<<"$errs" | cut -c1-300 >&2
    elif [[ -n $errs ]]; then
        log "node $n: first errors:"
        head -n 10 <<<"$errs" | cut -c1-300 >&2
    fi
    if [[ -n $new ]]; then
        log "last lines of $(node_log "$n"):"
        tail -n 12 <<<"$new" | cut -c1-300 >&2
    elif [[ -n $out ]]; then
        log "last lines of $(startup_log "$n"):"
        tail -n 12 <<<"$out" | cut -c1-300 >&2
    else
        log "(nothing in $(node_log "$n") or $(startup_log "$n"))"
    fi
}

# A failure of node $1 itself: the reason is in its logs. The nodes this run started are stopped
# again: the others would wait minutes for the failed one at boot.
die() {
    local n=$1 other pid pids=() i
    shift
    log "ERROR: node $n ($(node_name "$n")): $*"
    show_log "$n"
    for other in "${!SERVER_PIDS[@]}"; do
        pid=$(node_pid "$other") || continue
        log "stopping node $other, started by this run"
        kill -TERM "$pid" 2>/dev/null || true
        pids+=("$pid")
    done
    # The pid file goes early in the shutdown: wait for the processes.
    for pid in "${pids[@]}"; do
        for ((i = 0; i < 60; i++)); do
            [[ $(cat "/proc/$pid/comm" 2>/dev/null) == beam.smp ]] || break
            sleep 0.5
        done
        ((i < 60)) || kill -KILL "$pid" 2>/dev/null || true
    done
    exit 1
}

# True if something accepts TCP on 127.0.0.1:$1 (bash's /dev/tcp, 2 s cap).
port_open() {
    timeout 2 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

# The pid of node $1's beam process, if it runs: from its pid file, checked against the process
# (after a crash the pid may be a zombie or belong to something else).
node_pid() {
    local pid file
    file=$(pid_file "$1")
    [[ -s $file ]] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [[ $(cat "/proc/$pid/comm" 2>/dev/null) == beam.smp ]] || return 1
    grep -q '^State:.*zombie' "/proc/$pid/status" 2>/dev/null && return 1
    # Its environment names the node (its command line does not): never signal the single
    # broker or anything else.
    tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qx "RABBITMQ_NODENAME=$(node_name "$1")" \
        || return 1
    echo "$pid"
}

node_alive() { node_pid "$1" >/dev/null; }

# Log in over AMQP on each port given (PLAIN guest/guest, vhost /), as a client would; exit 1
# with the reason if one of them fails. Checks what rabbitmqctl cannot see: listener, user,
# loopback_users, permissions.
amqp_login() {
    command -v python3 >/dev/null || fail "python3 is needed for the AMQP login check"
    python3 - "$HOST" "$@" <<'PY'
import socket, struct, sys

def frame(sock, method_id, args):
    payload = struct.pack(">HH", *method_id) + args
    sock.sendall(struct.pack(">BHI", 1, 0, len(payload)) + payload + b"\xce")

def read_exact(sock, size):
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("broker closed the connection")
        data += chunk
    return data

def expect(sock, method_id):
    kind, _, size = struct.unpack(">BHI", read_exact(sock, 7))
    payload = read_exact(sock, size + 1)[:-1]
    got = struct.unpack(">HH", payload[:4]) if kind == 1 else None
    if got == (10, 50):
        text = payload[7 : 7 + payload[6]].decode(errors="replace")
        raise ConnectionError(f"broker refused: {text}")
    if got != method_id:
        raise ConnectionError(f"expected method {method_id}, got frame type {kind} {got}")
    return payload[4:]

def short(text):
    return bytes([len(text)]) + text

def login(host, port):
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(b"AMQP\x00\x00\x09\x01")
        expect(sock, (10, 10))
        response = b"\x00guest\x00guest"
        start_ok = b"\x00\x00\x00\x00" + short(b"PLAIN")
        frame(sock, (10, 11), start_ok + struct.pack(">I", len(response)) + response + short(b"en_US"))
        tune = expect(sock, (10, 30))
        frame(sock, (10, 31), tune[:6] + b"\x00\x00")
        frame(sock, (10, 40), short(b"/") + short(b"") + b"\x00")
        expect(sock, (10, 41))
        frame(sock, (10, 50), struct.pack(">H", 200) + short(b"bye") + b"\x00\x00\x00\x00")
        expect(sock, (10, 51))

status = 0
for port in sys.argv[2:]:
    try:
        login(sys.argv[1], int(port))
    except (OSError, ConnectionError, struct.error) as exc:
        print(f"{sys.argv[1]}:{port}: AMQP login as guest failed: {exc}", file=sys.stderr)
        status = 1
sys.exit(status)
PY
}

all_ports() {
    local n
    for n in "${NODES[@]}"; do amqp_port "$n"; done
}

need_root() {
    [[ $EUID -eq 0 ]] || fail "$1 needs root (the nodes run as user rabbitmq)"
    [[ $1 == start ]] && return 0
    command -v rabbitmq-server >/dev/null || fail "rabbitmq-server is not installed"
}

install_server() {
    command -v rabbitmq-server >/dev/null && return 0
    log "installing rabbitmq-server via apt (takes a minute or two)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || fail "apt-get update failed"
    apt-get install -y -q rabbitmq-server || fail "apt-get install rabbitmq-server failed"
}

# The nodes (and rabbitmqctl) authenticate each other with user rabbitmq's Erlang cookie. Made
# here if missing: three nodes booting at once would each write a cookie of their own.
ensure_cookie() {
    local cookie=/var/lib/rabbitmq/.erlang.cookie
    [[ -s $cookie ]] && return 0
    log "creating the Erlang cookie $cookie"
    (
        umask 077
        # 32 hex digits, spelt in capital letters (0-9 as G-P).
        head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | tr 'a-f0-9' 'A-P' >"$cookie.new"
    )
    chown rabbitmq:rabbitmq "$cookie.new"
    chmod 400 "$cookie.new"
    mv -f "$cookie.new" "$cookie"
}

take_lock() {
    command -v flock >/dev/null || return 0
    exec 9>>"$LOCK_FILE" || fail "cannot open $LOCK_FILE"
    flock -w 300 9 || fail "timed out waiting for another cluster.sh command"
}

check_node_arg() {
    [[ ${1:-} =~ ^[123]$ ]] || fail "expected a node number 1, 2 or 3, got '${1:-}'"
}

# Directories, config and plugins file of node $1, owned by rabbitmq. Rewritten on every start so
# edits here take effect.
prepare_node() {
    local n=$1 dir
    dir=$(node_dir "$n")
    mkdir -p "$dir/mnesia" "$dir/log"
    cat >"$dir/rabbitmq.conf" <<EOF
# Written by aioamqp scripts/cluster.sh -- cluster test node $n, loopback only.
listeners.tcp.default = $HOST:$(amqp_port "$n")
loopback_users.guest = true
cluster_name = aioamqp-cluster
EOF
    # No plugins: no management listener to give a port of its own.
    echo '[].' >"$dir/enabled_plugins"
    # An empty env file: /etc/rabbitmq/rabbitmq-env.conf is the single broker's.
    : >"$dir/rabbitmq-env.conf"
    chown -R rabbitmq:rabbitmq "$BASE"
    chmod 755 "$BASE"
}

# Start node $1's server in the background in its own session, as user rabbitmq (not with
# -detached: this way its early output is kept in startup.log).
start_server() {
    local n=$1 dir
    dir=$(node_dir "$n")
    (
        # Do not hold the caller's other fds (a CI runner's pipes, our lock) open for the node's
        # lifetime.
        for fd in "/proc/$BASHPID/fd/"*; do
            fd=${fd##*/}
            if ((fd > 2)); then { eval "exec $fd>&-"; } 2>/dev/null || true; fi
        done
        cd "$dir"
        RABBITMQ_NODENAME=$(node_name "$n")
        RABBITMQ_NODE_PORT=$(amqp_port "$n")
        RABBITMQ_DIST_PORT=$(dist_port "$n")
        export RABBITMQ_NODENAME RABBITMQ_NODE_PORT RABBITMQ_DIST_PORT RABBITMQ_NODE_IP_ADDRESS=$HOST
        export RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log
        export RABBITMQ_PID_FILE=$dir/pid RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins
        export RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf
        export RABBITMQ_ADVANCED_CONFIG_FILE=$dir/advanced.config
        export RABBITMQ_CONF_ENV_FILE=$dir/rabbitmq-env.conf
        export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
        # su keeps the environment (but HOME, SHELL, USER, LOGNAME).
        exec setsid su rabbitmq -s /bin/sh -c "exec /usr/lib/rabbitmq/bin/rabbitmq-server" \
            </dev/null >"$(startup_log "$n")" 2>&1
    ) &
    SERVER_PIDS[$n]=$!
}

# Fail unless node $1 runs or its AMQP port is free.
check_port() {
    local n=$1 port
    node_alive "$n" && return 0
    port=$(amqp_port "$n")
    if port_open "$port"; then
        fail "something that is not node $n ($(node_name "$n")) accepts connections on" \
            "$HOST:$port; stop it first"
    fi
}

# Start node $1 unless it runs (no wait).
launch_node() {
    local n=$1
    node_alive "$n" && return 0
    check_port "$n"
    LOG_SKIP[$n]=$(wc -l 2>/dev/null <"$(node_log "$n")") || LOG_SKIP[$n]=0
    prepare_node "$n"
    # A killed node's pid file is stale: the node writes a new one early in its boot.
    rm -f "$(pid_file "$n")"
    log "starting node $n: $(node_name "$n") on $HOST:$(amqp_port "$n") (logs in $(node_dir "$n"))"
    start_server "$n"
}

# True if node $1 has died: its beam process is gone and so is the server this run started
# for it (during early boot there is no pid file yet, only the server).
node_dead() {
    local server=${SERVER_PIDS[$1]:-}
    node_alive "$1" && return 1
    [[ -n $server ]] && kill -0 "$server" 2>/dev/null && return 1
    return 0
}

# Wait until each node given accepts TCP on its AMQP port (it opens its listener once booted),
# all at once: a node that dies fails the wait right away, not after the others' timeouts
# (nodes that were stopped together wait up to 5 minutes for each other at boot).
wait_nodes() {
    local t0=$SECONDS pending=("$@") still n
    while ((${#pending[@]})); do
        still=()
        for n in "${pending[@]}"; do
            if node_alive "$n" && port_open "$(amqp_port "$n")"; then
                continue
            fi
            node_dead "$n" && die "$n" "the node exited during startup"
            still+=("$n")
        done
        pending=("${still[@]}")
        ((${#pending[@]})) || break
        if ((SECONDS - t0 >= WAIT_TIMEOUT)); then
            for n in "${pending[@]}"; do
                log "node $n ($(node_name "$n")) does not accept connections on" \
                    "$HOST:$(amqp_port "$n") after ${WAIT_TIMEOUT}s"
            done
            die "${pending[0]}" "not up after ${WAIT_TIMEOUT}s" \
                "(scripts/cluster.sh stop, or reset to start afresh)"
        fi
        sleep 0.5
    done
}

# True if node $1 (running) counts node 1 among the members of its cluster.
in_cluster() {
    local status
    status=$(ctl "$1" -q cluster_status --formatter json 2>/dev/null) || return 1
    grep -q "\"$(node_name 1)\"" <<<"$status"
}

# Make running node $1 (2 or 3) a member of node 1's cluster unless it already is one.
join_node() {
    local n=$1 leader
    leader=$(node_name 1)
    in_cluster "$n" && return 0
    log "joining node $n to $leader"
    local step out
    for step in stop_app "join_cluster $leader" start_app; do
        # Output only on failure: join_cluster logs harmless "[error] Failed to create a tracked
        # connection table" lines while the node's app is stopped.
        # shellcheck disable=SC2086
        if ! out=$(ctl "$n" -q $step 2>&1); then
            echo "$out" >&2
            die "$n" "rabbitmqctl $step failed"
        fi
    done
    in_cluster "$n" || die "$n" "not a member of $leader's cluster after join_cluster"
}

# Each node's view of the running members must be all three (a node that rejoins after a crash
# shows up in the others' view a moment after its own boot).
wait_members() {
    local n i want=${#NODES[@]} running
    for ((i = 0; i < 30; i++)); do
        local ok=1
        for n in "${NODES[@]}"; do
            running=$(ctl "$n" -q cluster_status --formatter json 2>/dev/null \
                | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["running_nodes"]))' \
                    2>/dev/null) || running=0
            ((running == want)) || ok=0
        done
        ((ok)) && return 0
        sleep 1
    done
    fail "the nodes do not all see $want running cluster members; see rabbitmqctl -n" \
        "$(node_name 1) cluster_status"
}

print_ports() {
    local port
    for port in $(all_ports); do echo "$HOST:$port"; done
}

cmd_start() {
    need_root start
    take_lock
    install_server
    ensure_cookie
    local t0=$SECONDS n
    # All at once: quicker, and nodes stopped together wait for each other at boot (the last
    # node to stop expects its peers back).
    for n in "${NODES[@]}"; do check_port "$n"; done
    for n in "${NODES[@]}"; do launch_node "$n"; done
    wait_nodes "${NODES[@]}"
    for n in "${NODES[@]}"; do
        ((n == 1)) || join_node "$n"
    done
    wait_members
    # shellcheck disable=SC2046
    amqp_login $(all_ports) || fail "AMQP login as guest/guest on vhost / failed (see above)"
    log "cluster of $(node_name 1), $(node_name 2), $(node_name 3) ready after $((SECONDS - t0))s"
    print_ports
}

# Stop node $1 and wait until its process has exited; quiet if it is not running.
stop_node() {
    local n=$1 pid i
    # Ask first: 'rabbitmqctl stop <pidfile>' against a node that is not running waits forever.
    if ! ctl "$n" -q ping >/dev/null 2>&1; then
        if ! pid=$(node_pid "$n"); then
            rm -f "$(pid_file "$n")"
            return 0
        fi
        # The process runs but does not answer: terminate it.
        log "node $n (pid $pid) does not answer ping; terminating it"
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 20; i++)); do
            [[ $(cat "/proc/$pid/comm" 2>/dev/null) == beam.smp ]] || break
            sleep 0.5
        done
        ((i < 20)) || kill -KILL "$pid" 2>/dev/null || true
        rm -f "$(pid_file "$n")"
        log "stopped node $n"
        return 0
    fi
    # With the pid file, stop also waits until the OS process has exited.
    local args=()
    [[ -s $(pid_file "$n") ]] && args=("$(pid_file "$n")")
    if ! ctl "$n" -q stop "${args[@]}" >/dev/null; then
        log "ERROR: rabbitmqctl stop failed for node $n (see $(node_log "$n"))"
        return 1
    fi
    rm -f "$(pid_file "$n")"
    log "stopped node $n"
}

cmd_stop() {
    need_root stop
    take_lock
    local n pids=() status=0
    for n in "${NODES[@]}"; do
        stop_node "$n" &
        pids+=($!)
    done
    for n in "${pids[@]}"; do wait "$n" || status=1; done
    return $status
}

cmd_kill() {
    check_node_arg "${1:-}"
    need_root kill
    take_lock
    local n=$1 pid i
    if ! pid=$(node_pid "$n"); then
        log "node $n is not running"
        return 0
    fi
    kill -KILL "$pid"
    for ((i = 0; i < 100; i++)); do
        node_alive "$n" || break
        sleep 0.1
    done
    node_alive "$n" && fail "node $n (pid $pid) still runs after kill -9"
    log "killed node $n ($(node_name "$n"), pid $pid)"
}

cmd_restart() {
    check_node_arg "${1:-}"
    need_root restart
    take_lock
    local n=$1 t0=$SECONDS
    launch_node "$n"
    wait_nodes "$n"
    # A node that was a member rejoins on its own; one that never joined (or was reset) joins now.
    ((n == 1)) || join_node "$n"
    wait_members
    amqp_login "$(amqp_port "$n")" || fail "AMQP login as guest/guest on node $n failed"
    log "node $n ($(node_name "$n")) up on $HOST:$(amqp_port "$n") after $((SECONDS - t0))s"
}

cmd_status() {
    local n status=0 port
    for n in "${NODES[@]}"; do
        port=$(amqp_port "$n")
        if port_open "$port" && amqp_login "$port" 2>/dev/null; then
            echo "node $n $(node_name "$n"): $HOST:$port accepts AMQP"
        else
            echo "node $n $(node_name "$n"): $HOST:$port does not accept AMQP"
            status=1
        fi
    done
    return $status
}

cmd_ctl() {
    check_node_arg "${1:-}"
    need_root ctl
    ctl "$@"
}

cmd_reset() {
    cmd_stop
    # take_lock in cmd_stop holds the lock for the rest of this process.
    [[ $BASE == /var/lib/rabbitmq/aioamqp-cluster ]] || fail "refusing to delete $BASE"
    rm -rf -- "$BASE"
    log "deleted $BASE"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
kill) cmd_kill "${2:-}" ;;
restart) cmd_restart "${2:-}" ;;
status) cmd_status ;;
ports) print_ports ;;
reset) cmd_reset ;;
ctl) cmd_ctl "${@:2}" ;;
*)
    echo "usage: $0 start|stop|kill N|restart N|status|ports|reset|ctl N ARGS" >&2
    exit 2
    ;;
esac
