package io.vboxmcp.core.internal.compose;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SemanticVersion;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.VersionFormatException;
import io.vboxmcp.template.rules.internal.Printable;
import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.template.TemplateComponent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * {@code vboxmcp.lock}: every template a composition resolved (name, version, role, source, manifest digest,
 * signer) and the base image's digest. Written with a fixed key order, entries sorted by name and {@code \n} line
 * ends, so the same resolution always gives the same bytes; read strictly (size cap, known keys, every value
 * checked), since a lockfile may come from anywhere.
 *
 * @param template the template the lock was made for, never null
 * @param image    the base image reference and digest, null if not pinned
 * @param entries  one per resolved base or feature (role {@code extends} or {@code requires}), sorted by name,
 *                 never null
 */
public record Lockfile(String template, Image image, List<TemplateComponent> entries) {
    /** The file name, at a template folder's root. */
    public static final String FILE_NAME = "vboxmcp.lock";
    /** Larger lockfiles are refused unread. */
    public static final int MAX_BYTES = 64 * 1024;
    /** The format version written and understood. */
    public static final int FORMAT = 1;
    private static final Pattern DIGEST = Pattern.compile("sha(256:[0-9a-f]{64}|512:[0-9a-f]{128})");
    private static final Pattern SIGNER = Pattern.compile("[0-9A-Za-z:+/=_-]{8,200}");
    private static final Pattern SOURCE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern IMAGE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}");
    private static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(8).maxStringLength(4096).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    /** The pinned base image. */
    public record Image(String reference, String digest) {
        public Image {
            Objects.requireNonNull(reference, "reference");
            Objects.requireNonNull(digest, "digest");
        }
    }

    public Lockfile {
        Objects.requireNonNull(template, "template");
        entries = entries.stream().sorted(Comparator.comparing(TemplateComponent::name)).toList();
    }

    /** @return the entry for a template name, if the lock has one */
    public Optional<TemplateComponent> entry(String name) {
        return entries.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    /** @return the lockfile's exact text */
    public String text() {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("lockfile_version", FORMAT);
        root.put("template", template);
        if (image != null) {
            root.putObject("image").put("reference", image.reference()).put("digest", image.digest());
        }
        ArrayNode list = root.putArray("templates");
        for (TemplateComponent e : entries) {
            ObjectNode n = list.addObject();
            n.put("name", e.name()).put("version", e.version().toString()).put("role", e.role())
                    .put("source", e.sourceId()).put("digest", e.manifestDigest());
            if (e.signer() == null) {
                n.putNull("signer");
            } else {
                n.put("signer", e.signer());
            }
        }
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return MAPPER.writer(pp).writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON in memory", e);
        }
    }

    /**
     * How {@code actual} (what resolution gives now) differs from this lock, one sentence each.
     *
     * @return empty if the lock is up to date
     */
    public List<String> differences(Lockfile actual) {
        List<String> out = new ArrayList<>();
        Set<String> names = new TreeSet<>();
        entries.forEach(e -> names.add(e.name()));
        actual.entries.forEach(e -> names.add(e.name()));
        for (String name : names) {
            TemplateComponent was = entry(name).orElse(null);
            TemplateComponent now = actual.entry(name).orElse(null);
            if (was == null) {
                out.add(name + ": missing from the lock (resolves to " + now.version() + " from " + now.sourceId() + ")");
            } else if (now == null) {
                out.add(name + ": extra entry in the lock (" + was.version() + "), no longer part of the template");
            } else {
                if (!was.version().equals(now.version())) {
                    out.add(name + ": resolves to " + (now.version().compareTo(was.version()) > 0 ? "newer " : "")
                            + "version " + now.version() + ", the lock has " + was.version());
                } else if (!was.manifestDigest().equals(now.manifestDigest())) {
                    out.add(name + "@" + now.version() + ": manifest digest is " + now.manifestDigest() + ", the lock has "
                            + was.manifestDigest());
                }
                if (!Objects.equals(was.signer(), now.signer())) {
                    out.add(name + ": signed by " + signer(now.signer()) + ", the lock has " + signer(was.signer()));
                }
                if (!was.sourceId().equals(now.sourceId())) {
                    out.add(name + ": comes from source " + now.sourceId() + ", the lock has " + was.sourceId());
                }
                if (!was.role().equals(now.role())) {
                    out.add(name + ": is now in '" + now.role() + "', the lock has '" + was.role() + "'");
                }
            }
        }
        if (!Objects.equals(image, actual.image)) {
            out.add("base image: " + image(actual.image) + ", the lock has " + image(image));
        }
        return out;
    }

    private static String signer(String s) {
        return s == null ? "nobody (unsigned)" : s;
    }

    private static String image(Image i) {
        return i == null ? "not pinned" : i.reference() + " " + i.digest();
    }

    /**
     * Reads and checks a lockfile.
     *
     * @throws VboxmcpException {@link ErrorCode#INVALID_ARGUMENT} naming the file and the first problem, for a
     *                          missing, oversized, linked or malformed lockfile
     */
    public static Lockfile read(Path file) throws VboxmcpException {
        String kind = RegularFiles.kind(file);
        if (kind != null) {
            throw bad(file.toString(), "absent".equals(kind) ? "the file does not exist" : "not a regular file (it is "
                    + kind + ")");
        }
        byte[] bytes;
        try (InputStream in = RegularFiles.open(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw bad(file.toString(), "cannot read it: " + e.getMessage());
        }
        return parse(file.toString(), bytes);
    }

    static Lockfile parse(String display, byte[] bytes) throws VboxmcpException {
        if (bytes.length > MAX_BYTES) {
            throw bad(display, "larger than " + MAX_BYTES + " bytes");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw bad(display, "not JSON: " + Printable.of(String.valueOf(e.getMessage()), 200));
        }
        if (root == null || !root.isObject()) {
            throw bad(display, "not a JSON object");
        }
        keys(display, "", root, Set.of("lockfile_version", "template", "image", "templates"));
        if (!root.path("lockfile_version").isInt() || root.get("lockfile_version").intValue() != FORMAT) {
            throw bad(display, "lockfile_version must be " + FORMAT);
        }
        String template = text(display, root, "template", Pattern.compile(TemplateRef.NAME_PATTERN), false);
        Image image = null;
        if (root.has("image")) {
            JsonNode i = root.get("image");
            keys(display, "image.", i, Set.of("reference", "digest"));
            image = new Image(text(display, i, "reference", IMAGE, false), text(display, i, "digest", DIGEST, false));
        }
        if (!root.path("templates").isArray()) {
            throw bad(display, "templates must be a list");
        }
        List<TemplateComponent> entries = new ArrayList<>();
        Map<String, Boolean> seen = new LinkedHashMap<>();
        for (JsonNode n : root.get("templates")) {
            keys(display, "templates[].", n, Set.of("name", "version", "role", "source", "digest", "signer"));
            String name = text(display, n, "name", Pattern.compile(TemplateRef.NAME_PATTERN), false);
            if (seen.put(name, true) != null) {
                throw bad(display, "template '" + name + "' is listed twice");
            }
            SemanticVersion version;
            try {
                version = SemanticVersion.parse(text(display, n, "version", Pattern.compile("[ -~]{1,256}"), false));
            } catch (VersionFormatException e) {
                throw bad(display, name + ": " + e.getMessage());
            }
            entries.add(new TemplateComponent(name, version, text(display, n, "role", Pattern.compile("extends|requires"), false),
                    text(display, n, "source", SOURCE, false), text(display, n, "digest", DIGEST, false),
                    text(display, n, "signer", SIGNER, true)));
        }
        return new Lockfile(template, image, entries);
    }

    private static void keys(String display, String prefix, JsonNode n, Set<String> known) throws VboxmcpException {
        if (!n.isObject()) {
            throw bad(display, prefix.isEmpty() ? "not a JSON object" : prefix + " must be an object");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!known.contains(k)) {
                throw bad(display, "unknown key '" + prefix + Printable.of(k, 64) + "'");
            }
        }
    }

    private static String text(String display, JsonNode parent, String key, Pattern p, boolean nullable)
            throws VboxmcpException {
        JsonNode v = parent.get(key);
        if (nullable && (v == null || v.isNull())) {
            return null;
        }
        if (v == null || !v.isTextual() || !p.matcher(v.textValue()).matches()) {
            throw bad(display, key + " is missing or malformed" + (v == null ? "" : " ("
                    + Printable.of(v.toString(), 80) + ")"));
        }
        return v.textValue();
    }

    private static VboxmcpException bad(String display, String why) {
        return new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "lockfile " + display + ": " + why);
    }
}
