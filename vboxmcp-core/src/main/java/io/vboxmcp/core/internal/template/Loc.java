package io.vboxmcp.core.internal.template;

/** A 1-based line and column in the YAML source; {@link #UNKNOWN} is 0:0. */
record Loc(int line, int column) {
    static final Loc UNKNOWN = new Loc(0, 0);
}
