#!/usr/bin/env bash
# Packs a self-contained folder to run lte4j on a GPU machine that has no Java and no network:
#   <out>/jre/            a jlinked JDK 25 runtime (about 45 MB)
#   <out>/lib/            lte4j's jars and their runtime dependencies (LWJGL with its Linux natives)
#   <out>/run-on-gpu.sh   the launcher: OpenCL vendor files, library paths, JVM flags, then a main class
#   <out>/test/           (with --with-tests) runtime test classes and the JUnit console launcher
#
# usage: scripts/gpu-bundle.sh [--out DIR] [--module cli|runtime|...] [--no-build] [--with-tests]
#   --out DIR      where to pack (default: bundle/ in the repository, which git ignores)
#   --module M     the Maven module whose jar and runtime dependencies are packed (default: cli,
#                  which brings every other module; runtime alone is enough for the CUDA smoke check)
#   --no-build     pack what is already built
#   --with-tests   also pack the runtime module's test classes, to run JUnit on the GPU machine
# then, on the GPU machine:
#   bash <out>/run-on-gpu.sh org.lte4j.cli.Main selftest --device cuda
#   bash <out>/run-on-gpu.sh org.lte4j.runtime.backend.cuda.CudaSmokeCheck
#   bash <out>/run-on-gpu.sh --junit org.lte4j.runtime.backend.cuda.CudaDeviceGpuTest   (needs --with-tests)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
. "$root/scripts/jdk.sh"
lte4j_select_jdk

out="$root/bundle"
module="cli"
build=1
with_tests=0
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out="$2"; shift 2 ;;
        --module) module="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --with-tests) with_tests=1; shift ;;
        *) echo "gpu-bundle: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
    esac
done
[ -f "$root/$module/pom.xml" ] || { echo "gpu-bundle: no Maven module '$module' in $root" >&2; exit 2; }
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# Other builds may share this checkout; LTE4J_MVN_LOCK names a lock file to take around Maven.
mvn_() {
    if [ -n "${LTE4J_MVN_LOCK:-}" ] && command -v flock >/dev/null; then
        (cd "$root" && flock "$LTE4J_MVN_LOCK" mvn -q -B -ntp -Dstyle.color=never "$@")
    else
        (cd "$root" && mvn -q -B -ntp -Dstyle.color=never "$@")
    fi
}

if [ "$build" = 1 ]; then
    echo "gpu-bundle: building $module and what it depends on ..." >&2
    mvn_ -pl "$module" -am install -DskipTests
fi

echo "gpu-bundle: copying jars ..." >&2
rm -rf "$out/lib"
mkdir -p "$out/lib"
mvn_ -pl "$module" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out/lib"
# The module's own jar: the newest one its target folder holds (older names may linger there).
jar="$(ls -t "$root/$module"/target/*.jar 2>/dev/null | grep -v -E -- '-(sources|javadoc|tests)\.jar$' | head -1 || true)"
[ -n "$jar" ] || { echo "gpu-bundle: $module/target has no jar; build it first (drop --no-build)" >&2; exit 1; }
cp "$jar" "$out/lib/"

rm -rf "$out/test"
if [ "$with_tests" = 1 ]; then
    console=$(ls "$HOME"/.m2/repository/org/junit/platform/junit-platform-console-standalone/*/junit-platform-console-standalone-*.jar 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$console" ]; then
        mvn_ dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.1
        console=$(ls "$HOME"/.m2/repository/org/junit/platform/junit-platform-console-standalone/*/junit-platform-console-standalone-*.jar | sort -V | tail -1)
    fi
    mkdir -p "$out/test"
    cp -r "$root/runtime/target/test-classes" "$out/test/classes"
    cp "$console" "$out/test/junit-platform-console-standalone.jar"
fi

# The runtime: rebuilt only when missing or made by another JDK.
want="$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$JAVA_HOME/release")"
have="$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$out/jre/release" 2>/dev/null || true)"
if [ ! -x "$out/jre/bin/java" ] || [ "$want" != "$have" ]; then
    echo "gpu-bundle: jlinking a Java $want runtime ..." >&2
    rm -rf "$out/jre"
    "$JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,jdk.unsupported,java.logging,java.management,jdk.management \
        --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$out/jre"
fi

cat > "$out/run-on-gpu.sh" <<'LAUNCHER'
#!/usr/bin/env bash
# Runs an lte4j main class with the bundled Java runtime on a GPU machine.
# usage: bash run-on-gpu.sh MAIN_CLASS [ARGS...]
#        bash run-on-gpu.sh --junit TEST_CLASS...        (bundles packed with --with-tests)
# LTE4J_JAVA_OPTS adds JVM options (e.g. -Xmx64g).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ $# -ge 1 ] || { echo "usage: bash $0 MAIN_CLASS [ARGS...]   e.g. org.lte4j.cli.Main selftest --device cuda" >&2; exit 2; }

# OpenCL: the ICD loader reads vendor files from OCL_ICD_VENDORS. Gather the system's (and any
# folder already named), and add NVIDIA's OpenCL driver where the driver install left no .icd
# file (as in containers that mount the driver under /usr/local/nvidia).
icd="$(mktemp -d "${TMPDIR:-/tmp}/lte4j-icd.XXXXXX")"
trap 'rm -rf "$icd"' EXIT
for f in /etc/OpenCL/vendors/*.icd ${OCL_ICD_VENDORS:+"$OCL_ICD_VENDORS"/*.icd}; do
    [ -f "$f" ] && cp "$f" "$icd/"
done
if ! grep -qs 'libnvidia-opencl' "$icd"/*.icd; then
    for lib in /usr/local/nvidia/lib64/libnvidia-opencl.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-opencl.so.1 /usr/lib64/libnvidia-opencl.so.1; do
        if [ -e "$lib" ]; then echo "$lib" > "$icd/nvidia.icd"; break; fi
    done
fi
export OCL_ICD_VENDORS="$icd"

# The NVIDIA driver's folder holds libcuda and what NVIDIA's OpenCL driver loads beside it. The
# CUDA backend finds libcuda.so.1 and libnvrtc.so itself (this folder, /usr/local/cuda*/...).
if [ -d /usr/local/nvidia/lib64 ]; then
    export LD_LIBRARY_PATH="/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# OpenCL drivers may install their own SIGSEGV/SIGFPE handlers, which would take over the signals
# the JVM raises on purpose (safepoint polls, implicit null checks): libjsig chains them instead.
# Without it, the JVM died in JIT-compiled code after NVIDIA's OpenCL had started (H200).
export LD_PRELOAD="$here/jre/lib/libjsig.so${LD_PRELOAD:+:$LD_PRELOAD}"
flags=(--enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector --sun-misc-unsafe-memory-access=allow -Dorg.lwjgl.opencl.libname=libOpenCL.so.1)
# shellcheck disable=SC2206
extra=(${LTE4J_JAVA_OPTS:-})
if [ "$1" = "--junit" ]; then
    shift
    [ -f "$here/test/junit-platform-console-standalone.jar" ] || { echo "this bundle has no tests (pack it with --with-tests)" >&2; exit 2; }
    cp_="$here/test/classes"
    for j in "$here"/lib/*.jar; do cp_="$cp_:$j"; done
    selectors=()
    for c in "$@"; do selectors+=(--select-class "$c"); done
    "$here/jre/bin/java" "${flags[@]}" "${extra[@]}" -jar "$here/test/junit-platform-console-standalone.jar" execute \
        --class-path "$cp_" --details=tree --disable-banner "${selectors[@]}"
else
    main="$1"
    shift
    "$here/jre/bin/java" "${flags[@]}" "${extra[@]}" -cp "$here/lib/*" "$main" "$@"
fi
LAUNCHER
chmod +x "$out/run-on-gpu.sh"

echo "gpu-bundle: $(du -sh "$out" | cut -f1) in $out" >&2
echo "gpu-bundle: run there with: bash $(basename "$out")/run-on-gpu.sh org.lte4j.cli.Main selftest --device cuda" >&2
