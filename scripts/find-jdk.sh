# Sourced by ./jllm, ./build and .ci/run: exports JAVA_HOME pointing at a JDK 25+.
# Order: $JAVA_HOME if it is 25+, else the newest JDK 25+ under /usr/lib/jvm (or
# /Library/Java/JavaVirtualMachines on macOS), else a message saying what to install.
jllm_java_major() { # $1 = java home; prints the feature version or nothing
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
jllm_find_jdk() {
  local v best="" best_v=0 d
  if [ -n "${JAVA_HOME:-}" ]; then
    v=$(jllm_java_major "$JAVA_HOME")
    if [ -n "$v" ] && [ "$v" -ge 25 ]; then return 0; fi
  fi
  for d in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home; do
    [ -d "$d" ] || continue
    v=$(jllm_java_major "$d")
    if [ -n "$v" ] && [ "$v" -ge 25 ] && [ "$v" -gt "$best_v" ]; then best="$d"; best_v="$v"; fi
  done
  if [ -z "$best" ]; then
    echo "jllm: no JDK 25 found (JAVA_HOME='${JAVA_HOME:-}' is not 25+, none in /usr/lib/jvm)." >&2
    echo "      Install one, e.g. 'apt-get install temurin-25-jdk' (Adoptium repository) or unpack a" >&2
    echo "      JDK 25 and set JAVA_HOME to it." >&2
    return 1
  fi
  export JAVA_HOME="$best"
}
jllm_find_jdk || exit 1
export PATH="$JAVA_HOME/bin:$PATH"
