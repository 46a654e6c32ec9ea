package io.vboxmcp.mcp.internal;

import io.vboxmcp.VboxmcpException;

/**
 * Guest paths from an agent: absolute, no {@code .} or {@code ..} segment, no empty segment, no control
 * characters, so that a path means one place and is quoted safely for the guest's {@code /bin/sh}. These are paths
 * inside the guest only; no tool reads or writes a host path.
 */
final class GuestPaths {
    private GuestPaths() {
    }

    static String check(String tool, String key, String path) throws VboxmcpException {
        if (!path.startsWith("/")) {
            throw Args.invalid(tool + ": " + key + " must be an absolute guest path, got '" + Args.shown(path) + "'");
        }
        if (path.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.FORMAT)) {
            throw Args.invalid(tool + ": " + key + " contains control characters: '" + Args.shown(path) + "'");
        }
        String[] parts = path.substring(1).split("/", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            boolean trailingSlash = i == parts.length - 1 && p.isEmpty() && parts.length > 1;
            if (p.equals("..") || p.equals(".") || (p.isEmpty() && !trailingSlash && !path.equals("/"))) {
                throw Args.invalid(tool + ": " + key + " must not contain '.', '..' or empty segments (path traversal): '"
                        + Args.shown(path) + "'");
            }
        }
        return path;
    }

    /** A file path: {@link #check} and not a directory-looking path. */
    static String file(String tool, String key, String path) throws VboxmcpException {
        check(tool, key, path);
        if (path.endsWith("/")) {
            throw Args.invalid(tool + ": " + key + " names a directory, not a file: '" + Args.shown(path) + "'");
        }
        return path;
    }

    /** @return {@code s} as one single-quoted word for {@code /bin/sh} */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
