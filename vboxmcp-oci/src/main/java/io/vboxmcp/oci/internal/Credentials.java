package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * A registry login: user and secret (basic, or the password a token server trades for a bearer token), or an
 * identity token. Printing one shows no secret.
 */
record Credentials(String user, String secret) {
    static final String TOKEN_USER = "<token>";

    String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + secret).getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return "Credentials[" + user + ", ***]";
    }

    /** {@code user:password} or a bare token (sent as user {@code <token>}, as Docker does for identity tokens). */
    static Credentials parse(String value) {
        int colon = value.indexOf(':');
        return colon > 0 ? new Credentials(value.substring(0, colon), value.substring(colon + 1))
                : new Credentials(TOKEN_USER, value);
    }

    /**
     * Reads the Docker {@code config.json} entry for {@code hostPort} ({@code auths.<host[:port]>.auth} or
     * {@code identitytoken}). Credential helpers ({@code credsStore}, {@code credHelpers}) are not run.
     */
    static Optional<Credentials> fromDockerConfig(Path file, String hostPort) throws VboxmcpException {
        if (file == null || !Files.isRegularFile(file)) {
            return Optional.empty();
        }
        JsonNode root;
        try {
            if (Files.size(file) > 1 << 20) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "Docker config " + file + " is over 1 MiB");
            }
            root = new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "cannot read Docker config " + file + ": "
                    + e.getMessage(), e);
        }
        JsonNode auths = root == null ? null : root.get("auths");
        if (auths == null || !auths.isObject()) {
            return Optional.empty();
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!hostOf(e.getKey()).equalsIgnoreCase(hostPort)) {
                continue;
            }
            JsonNode identity = e.getValue().get("identitytoken");
            JsonNode auth = e.getValue().get("auth");
            if (auth != null && auth.isTextual() && !auth.asText().isEmpty()) {
                String decoded;
                try {
                    decoded = new String(Base64.getDecoder().decode(auth.asText()), StandardCharsets.UTF_8);
                } catch (IllegalArgumentException bad) {
                    throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, "Docker config " + file + ": the auth of "
                            + hostPort + " is not base64");
                }
                Credentials c = parse(decoded);
                if (identity != null && identity.isTextual() && !identity.asText().isEmpty()) {
                    return Optional.of(new Credentials(TOKEN_USER, identity.asText()));
                }
                return Optional.of(c);
            }
            if (identity != null && identity.isTextual() && !identity.asText().isEmpty()) {
                return Optional.of(new Credentials(TOKEN_USER, identity.asText()));
            }
        }
        return Optional.empty();
    }

    /** Docker writes keys as {@code host:port}, {@code https://host/v1/} or {@code http://host:port}. */
    private static String hostOf(String key) {
        String k = key.replaceFirst("^[a-zA-Z]+://", "");
        int slash = k.indexOf('/');
        return slash < 0 ? k : k.substring(0, slash);
    }
}
