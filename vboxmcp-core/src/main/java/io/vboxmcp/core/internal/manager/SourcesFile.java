package io.vboxmcp.core.internal.manager;

import io.vboxmcp.core.internal.util.Json;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.SourceConfig;
import io.vboxmcp.TemplateRef;
import io.vboxmcp.VboxmcpException;
import io.vboxmcp.core.internal.util.RegularFiles;
import io.vboxmcp.core.internal.util.AtomicFiles;
import io.vboxmcp.core.internal.util.FileLocks;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Template sources persisted in {@code <home>/sources.json} (what {@code vboxmcp source add} writes), read by every
 * manager with that home. An entry: {@code {"id", "uri", "priority", "allowUnsigned", "threshold", "options": {...}}}
 * ({@code threshold} only when set).
 * Credentials are never stored here, only references (environment variable names or file paths) in options.
 */
public final class SourcesFile {
    /** Option key marking a source allowed to serve unsigned templates. */
    public static final String ALLOW_UNSIGNED = "allow-unsigned";
    /** Option key: how many distinct pinned keys must sign this source's templates (an integer, at least 1). */
    public static final String THRESHOLD = "threshold";
    private final Path file;

    public SourcesFile(Path home) {
        this.file = home.resolve("sources.json");
    }

    public List<SourceConfig> read() throws VboxmcpException {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            JsonNode root = Json.MAPPER.readTree(RegularFiles.read(file, 1 << 20));
            List<SourceConfig> out = new ArrayList<>();
            for (JsonNode n : root.path("sources")) {
                Map<String, String> opts = new LinkedHashMap<>();
                n.path("options").fields().forEachRemaining(e -> opts.put(e.getKey(), e.getValue().asText()));
                if (n.path("allowUnsigned").asBoolean(false)) {
                    opts.put(ALLOW_UNSIGNED, "true");
                }
                if (n.has("threshold")) {
                    opts.put(THRESHOLD, n.path("threshold").asText());
                }
                out.add(new SourceConfig(n.path("id").asText(), URI.create(n.path("uri").asText()),
                        n.path("priority").asInt(100), opts));
            }
            out.sort(Comparator.comparingInt(SourceConfig::priority));
            return out;
        } catch (IOException | IllegalArgumentException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Adds or replaces the source with the same id. */
    public void put(SourceConfig source) throws VboxmcpException {
        if (!TemplateRef.isValidName(source.id()) || source.id().equals("local")) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "'" + source.id() + "' is not a valid source name");
        }
        threshold(source);
        update(list -> {
            list.removeIf(s -> s.id().equals(source.id()));
            list.add(source);
            return true;
        });
    }

    /**
     * @return the source's signature threshold, null if not set
     * @throws VboxmcpException {@code INVALID_ARGUMENT} if it is set but not an integer of at least 1
     */
    public static Integer threshold(SourceConfig source) throws VboxmcpException {
        String v = source.options().get(THRESHOLD);
        if (v == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(v.strip());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "source '" + source.id() + "': threshold must be a whole number of at least 1, not '" + v + "'");
    }

    /** @return whether a source of that id existed */
    public boolean remove(String id) throws VboxmcpException {
        return update(list -> list.removeIf(s -> s.id().equals(id)));
    }

    private interface Change {
        boolean apply(List<SourceConfig> sources);
    }

    private boolean update(Change change) throws VboxmcpException {
        try (FileLocks.Held ignored = FileLocks.acquire(file.resolveSibling("locks").resolve("sources.lock"),
                Duration.ofSeconds(10), "the source list")) {
            List<SourceConfig> list = new ArrayList<>(read());
            boolean changed = change.apply(list);
            ObjectNode root = Json.MAPPER.createObjectNode();
            ArrayNode arr = root.putArray("sources");
            for (SourceConfig s : list) {
                ObjectNode n = arr.addObject();
                n.put("id", s.id());
                n.put("uri", s.uri().toString());
                n.put("priority", s.priority());
                n.put("allowUnsigned", Boolean.parseBoolean(s.options().getOrDefault(ALLOW_UNSIGNED, "false")));
                Integer threshold = threshold(s);
                if (threshold != null) {
                    n.put("threshold", threshold.intValue());
                }
                ObjectNode o = n.putObject("options");
                s.options().forEach((k, v) -> {
                    if (!k.equals(ALLOW_UNSIGNED) && !k.equals(THRESHOLD)) {
                        o.put(k, v);
                    }
                });
            }
            AtomicFiles.write(file, Json.MAPPER.writeValueAsBytes(root));
            return changed;
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.IO, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
