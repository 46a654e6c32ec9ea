package io.vboxmcp.oci.internal;

import io.vboxmcp.core.internal.verify.SshVerifierFactory;
import io.vboxmcp.spi.DetachedSignature;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.testkit.StubProviderContext;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/** Roots and indexes signed with keys and signatures made by the real {@code ssh-keygen}. */
final class IndexFixture {
    final Path dir;
    private int n;

    IndexFixture(Path dir) {
        this.dir = dir;
    }

    /** A key: the private key file, its public line and its id. */
    record Key(Path file, String publicLine, String id) { }

    Key key(String name) throws IOException, InterruptedException {
        Path k = Templates.sshKey(dir, name);
        String pub = Files.readString(k.resolveSibling(name + ".pub")).strip();
        return new Key(k, pub, Digests.sha256(pub.getBytes(StandardCharsets.UTF_8)));
    }

    static Function<String, Optional<SignatureVerifier>> verifiers(Path home) {
        SignatureVerifier ssh = new SshVerifierFactory().create(new StubProviderContext(home));
        return f -> f.equals("ssh") ? Optional.of(ssh) : Optional.empty();
    }

    static String root(long version, Instant expires, List<Key> rootKeys, int rootThreshold, List<Key> indexKeys,
                       int indexThreshold) {
        StringBuilder keys = new StringBuilder();
        List<Key> all = new ArrayList<>(rootKeys);
        indexKeys.stream().filter(k -> !all.contains(k)).forEach(all::add);
        for (Key k : all) {
            keys.append(keys.length() == 0 ? "" : ",").append('"').append(k.id()).append("\":{\"format\":\"ssh\",\"key\":\"")
                    .append(k.publicLine()).append("\"}");
        }
        return "{\"_type\":\"vboxmcp-root\",\"version\":" + version + ",\"expires\":\"" + expires + "\",\"keys\":{" + keys
                + "},\"roles\":{\"root\":{\"keys\":" + ids(rootKeys) + ",\"threshold\":" + rootThreshold
                + "},\"index\":{\"keys\":" + ids(indexKeys) + ",\"threshold\":" + indexThreshold + "}}}";
    }

    private static String ids(List<Key> keys) {
        return keys.stream().map(k -> "\"" + k.id() + "\"").reduce((a, b) -> a + "," + b).map(s -> "[" + s + "]").orElse("[]");
    }

    /** An index; {@code entries} are {@code name version digest} triples. */
    static String index(long version, Instant expires, String removed, String... entries) {
        StringBuilder t = new StringBuilder();
        for (String e : entries) {
            String[] p = e.split(" ");
            t.append(t.length() == 0 ? "" : ",").append("{\"name\":\"").append(p[0]).append("\",\"version\":\"")
                    .append(p[1]).append("\",\"digest\":\"").append(p[2]).append("\",\"description\":\"about ")
                    .append(p[0]).append("\",\"tags\":[\"demo\"]}");
        }
        return "{\"_type\":\"vboxmcp-index\",\"version\":" + version + ",\"expires\":\"" + expires + "\",\"templates\":["
                + t + "]" + (removed == null ? "" : ",\"removed\":[" + removed + "]") + "}";
    }

    /** A delegated role: {@code name} may list names matching {@code patterns}, signed by {@code threshold} of keys. */
    record Role(String name, List<Key> keys, int threshold, boolean terminating, List<String> patterns) {
        static Role of(String name, Key key, String... patterns) {
            return new Role(name, List.of(key), 1, false, List.of(patterns));
        }

        Role asTerminating() {
            return new Role(name, keys, threshold, true, patterns);
        }
    }

    /** A {@code delegations} block. */
    static String delegations(Role... roles) {
        List<Key> all = new ArrayList<>();
        for (Role r : roles) {
            r.keys().stream().filter(k -> !all.contains(k)).forEach(all::add);
        }
        StringBuilder keys = new StringBuilder();
        for (Key k : all) {
            keys.append(keys.length() == 0 ? "" : ",").append('"').append(k.id()).append("\":{\"format\":\"ssh\",\"key\":\"")
                    .append(k.publicLine()).append("\"}");
        }
        StringBuilder rs = new StringBuilder();
        for (Role r : roles) {
            rs.append(rs.length() == 0 ? "" : ",").append("{\"name\":\"").append(r.name()).append("\",\"keys\":")
                    .append(ids(r.keys())).append(",\"threshold\":").append(r.threshold()).append(",\"terminating\":")
                    .append(r.terminating()).append(",\"names\":[")
                    .append(String.join(",", r.patterns().stream().map(p -> "\"" + p + "\"").toList())).append("]}");
        }
        return "{\"keys\":{" + keys + "},\"roles\":[" + rs + "]}";
    }

    /** {@code document} (a root, index or publisher JSON object) with one more top-level field. */
    static String with(String document, String field, String json) {
        return document.substring(0, document.lastIndexOf('}')) + ",\"" + field + "\":" + json + "}";
    }

    /** A publisher's metadata; {@code entries} are {@code name version digest} triples. */
    static String publisher(String role, long version, Instant expires, String delegations, String... entries) {
        String idx = index(version, expires, null, entries)
                .replace("{\"_type\":\"vboxmcp-index\"", "{\"_type\":\"vboxmcp-publisher\",\"role\":\"" + role + "\"");
        return delegations == null ? idx : with(idx, "delegations", delegations);
    }

    /** The {@code publishers} list of an index: role, version and the SHA-256 of each document given. */
    static String publishers(byte[]... documents) {
        StringBuilder b = new StringBuilder();
        for (byte[] d : documents) {
            String text = new String(d, StandardCharsets.UTF_8);
            String role = text.replaceAll("(?s).*\"role\":\"([a-z0-9-]+)\".*", "$1");
            String version = text.replaceAll("(?s)^.*?\"version\":([0-9]+).*", "$1");
            b.append(b.length() == 0 ? "" : ",").append("{\"role\":\"").append(role).append("\",\"version\":")
                    .append(version).append(",\"digest\":\"").append(Digests.sha256(d)).append("\"}");
        }
        return "[" + b + "]";
    }

    static String digest(char c) {
        return "sha256:" + String.valueOf(c).repeat(64);
    }

    List<DetachedSignature> sign(byte[] doc, Key... keys) throws IOException, InterruptedException {
        Path f = dir.resolve("doc-" + n++ + ".json");
        Files.write(f, doc);
        List<DetachedSignature> out = new ArrayList<>();
        for (Key k : keys) {
            out.add(new DetachedSignature("ssh", Templates.sshSign(k.file(), f, IndexTrust.NAMESPACE), "sig"));
        }
        return out;
    }
}
