#!/usr/bin/env bash
# The listing-search benchmark in one command (a dev tool, not part of `make test`):
#
#     bench/run.sh
#
# The app is measured as it is in the working tree when the run starts: a copy of the tree is taken first
# (so that edits made during the run do not mix two versions of the code), and its git state is recorded.
# For 10,000 and 100,000 listings: seed (or reuse) oro_bench_10k / oro_bench_100k, start two gunicorns
# (marketplace.wsgi, bench.settings, 2 sync workers each, DJANGO_DEBUG=0, one with the search cache in Redis
# and one without) on 127.0.0.1, check that the endpoints answer the same page, warm up, then wrk -t2 -c8
# -d20s against each endpoint in turn (ours, uncached, minimal, and the varied workload of
# bench/wrk_varied.lua against ours and minimal), and print the table (bench/report.py). Loopback only;
# gunicorn is stopped on exit.
#
# Environment (all optional): BENCH_SIZES="10000 100000", BENCH_DURATION=20s, BENCH_PORT=8765,
# BENCH_QUERY='q=mercurio&fineness_min=900&form=dore', BENCH_PGOPTIONS (passed to the workers' PostgreSQL
# sessions as PGOPTIONS, e.g. "-c jit=off" for a diagnostic run), BENCH_LABEL (a name for the run),
# BENCH_PG=postgres://postgres@127.0.0.1:5432 (the server; databases oro_bench_<size>),
# BENCH_REDIS=redis://127.0.0.1:6379/9 (flushed before each wrk run), BENCH_MAX_REQUESTS=0 (worker recycling).
set -euo pipefail
{ # parsed whole before it runs: editing this file during a run cannot change the run

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
GUNICORN="$ROOT/.venv/bin/gunicorn"
SIZES=${BENCH_SIZES:-"10000 100000"}
DURATION=${BENCH_DURATION:-20s}
PORT=${BENCH_PORT:-8765}
QUERY=${BENCH_QUERY:-"q=mercurio&fineness_min=900&form=dore"}
PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
BASE="http://127.0.0.1:$PORT"
UNCACHED_PORT=$((PORT + 1))
UNCACHED="http://127.0.0.1:$UNCACHED_PORT"
REDIS=${BENCH_REDIS:-redis://127.0.0.1:6379/9}
RUN="$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)${BENCH_LABEL:+-$BENCH_LABEL}"
mkdir -p "$RUN"
echo "${BENCH_LABEL:-default server settings}${BENCH_PGOPTIONS:+, PGOPTIONS=$BENCH_PGOPTIONS}" >"$RUN/label"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
redis-cli -u "$REDIS" ping >/dev/null || { echo "Redis is not answering at $REDIS (BENCH_REDIS)" >&2; exit 1; }
case "$PG" in postgres://*@127.0.0.1:*) ;; *) echo "BENCH_PG must be on 127.0.0.1" >&2; exit 1 ;; esac

GUNICORN_PIDS=()
APP=""
stop_gunicorn() {
    local pid
    for pid in "${GUNICORN_PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
            wait "$pid" 2>/dev/null || true
        fi
    done
    GUNICORN_PIDS=()
}
cleanup() {
    stop_gunicorn
    case "$APP" in /tmp/oro-bench-app.*) rm -rf "$APP" ;; esac
}
trap cleanup EXIT INT TERM

# A snapshot of the app (others may be editing it during the run), and which state that was.
APP=$(mktemp -d /tmp/oro-bench-app.XXXXXX)
{ git rev-parse HEAD; git status --short; git diff | sha256sum; } >"$RUN/app_state.txt" 2>/dev/null || true
tar -C "$ROOT" --exclude=./.venv --exclude=./.git --exclude=./bench/results --exclude=./var \
    --exclude=./db.sqlite3 --exclude=__pycache__ -cf - . | tar -C "$APP" -xf -
cd "$APP"

# Until no query of the benchmark is running any more (wrk may leave a slow request behind when it stops).
wait_idle() {
    local db=$1
    for _ in $(seq 1 300); do
        local active
        active=$(psql "$PG/postgres" -Atc "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND state = 'active'")
        if [ "$active" = "0" ]; then sleep 1; return 0; fi
        sleep 0.5
    done
    echo "warning: queries still running in $db after 150 s" >&2
}

for N in $SIZES; do
    DB="${BENCH_DB_PREFIX:-oro_bench_}$((N / 1000))k"
    URL="$PG/$DB"
    echo "== $N listings ($DB)"
    # Seeding prints its progress bar on stderr: kept in a file, the summary lines on the terminal.
    DJANGO_DEBUG=1 DATABASE_URL="$URL" "$PY" bench/seed.py --listings "$N" --producers "$((N / 10))" --reuse \
        2>"$RUN/seed_$N.progress"
    # Every visible listing, not just one page: the yardstick must find the same set as the view.
    DJANGO_DEBUG=1 DATABASE_URL="$URL" "$PY" bench/check_sets.py | tee "$RUN/sets_$N.txt"

    # Two servers of the same app: with the server's default settings (search answers kept in Redis, as in
    # production) and with the cache off (SEARCH_CACHE_SECONDS=0), to show the work behind a miss. Both with
    # gunicorn.conf.py, except: no worker recycling (at the hundreds of requests per second of a cached search,
    # GUNICORN_MAX_REQUESTS=1000 restarts each worker every few seconds, which is what the p95 then measures;
    # BENCH_MAX_REQUESTS=1000 shows it) and no access log line per request.
    redis-cli -u "$REDIS" flushdb >/dev/null
    for port in "$PORT" "$UNCACHED_PORT"; do
        if curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; then echo "port $port is already in use" >&2; exit 1; fi
        cache=""; [ "$port" = "$UNCACHED_PORT" ] && cache=0
        DJANGO_SETTINGS_MODULE=bench.settings DJANGO_DEBUG=0 DJANGO_SECRET_KEY="bench-only-$(date +%s)-not-a-secret" \
            DATABASE_URL="$URL" PGOPTIONS="${BENCH_PGOPTIONS:-}" REDIS_URL="$REDIS" \
            GUNICORN_MAX_REQUESTS="${BENCH_MAX_REQUESTS:-0}" GUNICORN_ACCESS_LOG="" env ${cache:+SEARCH_CACHE_SECONDS=$cache} \
            "$GUNICORN" marketplace.wsgi --chdir "$APP" --workers 2 --bind "127.0.0.1:$port" --timeout 300 \
            --log-level warning --error-logfile "$RUN/gunicorn_${N}_$port.log" &
        GUNICORN_PIDS+=($!)
        for i in $(seq 1 60); do
            curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break
            [ "$i" = 60 ] && { echo "gunicorn did not start: $RUN/gunicorn_${N}_$port.log" >&2; exit 1; }
            sleep 0.5
        done
    done

    "$PY" bench/check_same.py "$BASE" "$QUERY" | tee "$RUN/check_$N.txt"
    "$PY" bench/check_same.py "$UNCACHED" "$QUERY" >/dev/null
    OURS="$BASE/api/v1/listings/?$QUERY&page_size=20"
    MINIMAL="$BASE/bench/minimal/?$QUERY"
    for url in "$OURS" "$MINIMAL" "$UNCACHED/api/v1/listings/?$QUERY&page_size=20"; do  # warm up: both workers
        warming=()
        for _ in 1 2 3 4; do curl -sf -o /dev/null --max-time 300 "$url" & warming+=($!); done
        wait "${warming[@]}" || echo "warning: a warm-up request failed" >&2
    done
    wait_idle "$DB"

    # A buyer's sourcing request and a token, for the matches endpoint (bench/trickle.py makes them once).
    read -r MATCH_REQUEST MATCH_TOKEN < <(DJANGO_DEBUG=1 DATABASE_URL="$URL" "$PY" bench/trickle.py matches | tail -1)
    FACETS="$UNCACHED/api/v1/listings/facets/?$QUERY"
    MATCHES="$UNCACHED/api/v1/sourcing-requests/$MATCH_REQUEST/matches/?page_size=20"

    # ours: the one search, as a client repeating it sees it (kept after the first request);
    # uncached: the same on the server with the cache off; minimal: the yardstick;
    # varied, minimalvaried: 144 different searches at random (bench/wrk_varied.lua), none kept beforehand;
    # variedtrickle: varied again while bench/trickle.py writes (1 unrelated write a second, 1 evidence
    # decision every 10 s), to compare with varied; uncachedvaried: the 144 searches on the uncached server;
    # facets and matches: uncached, the facets of the benchmarked search and a buyer's matches.
    for endpoint in ${BENCH_ENDPOINTS:-ours uncached minimal varied minimalvaried uncachedvaried variedtrickle facets matches}; do
        redis-cli -u "$REDIS" flushdb >/dev/null  # nothing kept from the endpoint before
        case $endpoint in
            ours) args=(-s bench/wrk_p95.lua "$OURS") ;;
            uncached) args=(-s bench/wrk_p95.lua "$UNCACHED/api/v1/listings/?$QUERY&page_size=20") ;;
            minimal) args=(-s bench/wrk_p95.lua "$MINIMAL") ;;
            varied) args=(-s bench/wrk_varied.lua "$BASE" -- /api/v1/listings/ "&page_size=20") ;;
            minimalvaried) args=(-s bench/wrk_varied.lua "$BASE" -- /bench/minimal/ "") ;;
            uncachedvaried) args=(-s bench/wrk_varied.lua "$UNCACHED" -- /api/v1/listings/ "&page_size=20") ;;
            variedtrickle) args=(-s bench/wrk_varied.lua "$BASE" -- /api/v1/listings/ "&page_size=20") ;;
            facets) args=(-s bench/wrk_p95.lua "$FACETS") ;;
            matches) args=(-s bench/wrk_p95.lua -H "Authorization: Token $MATCH_TOKEN" "$MATCHES") ;;
        esac
        TRICKLE=""
        if [ "$endpoint" = variedtrickle ]; then
            DJANGO_DEBUG=1 DATABASE_URL="$URL" REDIS_URL="$REDIS" "$PY" bench/trickle.py "${DURATION%s}" \
                >"$RUN/trickle_$N.txt" 2>&1 &
            TRICKLE=$!
        fi
        echo "-- $endpoint: wrk -t2 -c8 -d$DURATION ${args[*]}"
        echo "$endpoint $N before: $(cat /proc/loadavg)" >>"$RUN/loadavg.txt"  # is anything else busy?
        wrk -t2 -c8 -d"$DURATION" --timeout 120s --latency "${args[@]}" | tee "$RUN/wrk_${endpoint}_$N.txt"
        echo "$endpoint $N after:  $(cat /proc/loadavg)" >>"$RUN/loadavg.txt"
        if [ -n "$TRICKLE" ]; then wait "$TRICKLE" || echo "warning: the trickle of writes failed" >&2; fi
        wait_idle "$DB"
    done
    stop_gunicorn
done

echo
"$PY" bench/report.py "$RUN"
echo "(wrk outputs, gunicorn logs and summary.md in $RUN)"
exit
}
