package io.vboxmcp.core.internal.image;

import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A digest a catalog pins for a file: a known algorithm and its lower-case hex value. Only SHA-256 and SHA-512 are
 * known; MD5, SHA-1 and anything else are refused rather than ignored, so a catalog never passes with no usable
 * digest (ART-03).
 *
 * @param algorithm {@code sha256} or {@code sha512}
 * @param hex       lower-case hex of the right length
 */
record Digest(String algorithm, String hex) {
    /** Known algorithms, strongest first (the first listed for a file names its cache entry). */
    static final List<String> ALGORITHMS = List.of("sha512", "sha256");
    private static final Map<String, Integer> HEX_LENGTH = Map.of("sha256", 64, "sha512", 128);
    private static final Pattern HEX = Pattern.compile("[0-9a-f]+");

    /**
     * @param algorithm as written in a catalog (case-insensitive)
     * @param hex       as written in a catalog (case-insensitive)
     * @return the digest
     * @throws IllegalArgumentException with a message for the catalog's error if the algorithm is unknown or the hex
     *                                  is malformed
     */
    static Digest of(String algorithm, String hex) {
        String algo = algorithm.trim().toLowerCase(Locale.ROOT);
        Integer len = HEX_LENGTH.get(algo);
        if (len == null) {
            throw new IllegalArgumentException("unknown digest algorithm '" + algorithm + "' (known: sha256, sha512)");
        }
        String h = hex.trim().toLowerCase(Locale.ROOT);
        if (h.length() != len || !HEX.matcher(h).matches()) {
            throw new IllegalArgumentException("malformed " + algo + " digest '" + hex + "' (" + len + " hex digits expected)");
        }
        return new Digest(algo, h);
    }

    /** @param text {@code <algorithm>:<hex>} */
    static Digest parse(String text) {
        int colon = text.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("digest '" + text + "' is not <algorithm>:<hex>");
        }
        return of(text.substring(0, colon), text.substring(colon + 1));
    }

    /** @return the name of the cache file holding this content: {@code sha512-<hex>} */
    String fileName() {
        return algorithm + "-" + hex;
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }

    /**
     * Hashes {@code file} once with every algorithm of {@code digests}.
     *
     * @return the computed digest per algorithm
     */
    static Map<String, Digest> compute(Path file, Collection<Digest> digests) throws VboxmcpException {
        Map<String, MessageDigest> mds = new LinkedHashMap<>();
        try {
            for (Digest d : digests) {
                mds.putIfAbsent(d.algorithm(), MessageDigest.getInstance(d.algorithm().equals("sha256") ? "SHA-256" : "SHA-512"));
            }
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK lacks " + e.getMessage(), e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 17];
            int n;
            while ((n = in.read(buf)) >= 0) {
                for (MessageDigest md : mds.values()) {
                    md.update(buf, 0, n);
                }
            }
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "could not read " + file + ": " + e.getMessage(), e);
        }
        Map<String, Digest> out = new LinkedHashMap<>();
        mds.forEach((algo, md) -> out.put(algo, new Digest(algo, HexFormat.of().formatHex(md.digest()))));
        return out;
    }

    /**
     * @return the first digest of {@code expected} that {@code file} does not match, or null if it matches all (ART-04:
     *         with sha256 and sha512 both listed, both must match)
     */
    static Mismatch firstMismatch(Path file, List<Digest> expected) throws VboxmcpException {
        Map<String, Digest> got = compute(file, expected);
        for (Digest d : expected) {
            Digest g = got.get(d.algorithm());
            if (!g.equals(d)) {
                return new Mismatch(d, g);
            }
        }
        return null;
    }

    /** A digest the file did not match, and what it has. */
    record Mismatch(Digest expected, Digest actual) {
    }
}
