# Sourced by the lte4j scripts: selects a JDK 25 or newer for this shell, or explains how to get one.
# Order: $JAVA_HOME if it is 25+, the `java` on the PATH if it is 25+, then the usual install folders.
lte4j_java_major() {
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

lte4j_select_jdk() {
    local candidate
    for candidate in "${JAVA_HOME:-}" \
        "$(dirname "$(dirname "$(readlink -f "$(command -v java 2>/dev/null || echo /nonexistent)")")")" \
        /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/java-25* /usr/lib/jvm/jdk-25* \
        /opt/java/openjdk /usr/lib/jvm/*; do
        [ -n "$candidate" ] && [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
        if [ "$(lte4j_java_major "$candidate")" -ge 25 ] 2>/dev/null; then
            export JAVA_HOME="$candidate"
            export PATH="$JAVA_HOME/bin:$PATH"
            return 0
        fi
    done
    echo "lte4j: needs a JDK 25 or newer (java.lang.classfile, the Vector API); none found in JAVA_HOME, on the PATH or under /usr/lib/jvm." >&2
    echo "       Install one (e.g. Temurin 25) and set JAVA_HOME to it." >&2
    return 1
}
