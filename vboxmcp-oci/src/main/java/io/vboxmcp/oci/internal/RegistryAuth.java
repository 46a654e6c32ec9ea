package io.vboxmcp.oci.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vboxmcp.ErrorCode;
import io.vboxmcp.VboxmcpException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Answers a registry's {@code WWW-Authenticate} challenge: basic with the configured login, or bearer with a token
 * from the realm the registry names (the login goes to a token server on the registry's own origin only, REG-08).
 * Thread-safe.
 */
final class RegistryAuth {
    private static final long MAX_TOKEN_BYTES = 1 << 20;
    private static final Pattern PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final RegistryHttp http;
    private final HttpClient client;
    private final Origin registry;
    private final Credentials credentials;
    private final Map<String, String> tokens = new ConcurrentHashMap<>();
    private final ObjectMapper json = new ObjectMapper();

    RegistryAuth(RegistryHttp http, HttpClient client, Origin registry, Credentials credentials) {
        this.http = http;
        this.client = client;
        this.registry = registry;
        this.credentials = credentials;
    }

    private volatile String scheme;

    Optional<String> authorization() {
        String s = scheme;
        if (s == null) {
            return Optional.empty();
        }
        if (s.equals("basic")) {
            return Optional.ofNullable(credentials).map(Credentials::basicHeader);
        }
        return Optional.ofNullable(tokens.get(s)).map(t -> "Bearer " + t);
    }

    /** @return whether a retry may now succeed */
    boolean answer(String challenge, long deadline) throws VboxmcpException {
        String lower = challenge.toLowerCase(Locale.ROOT);
        if (lower.startsWith("basic")) {
            if (credentials == null) {
                throw unauthorized("it asks for a login and none is configured (source option "
                        + "credentials-env, or the Docker config.json)");
            }
            if ("basic".equals(scheme)) {
                return false;
            }
            scheme = "basic";
            return true;
        }
        if (!lower.startsWith("bearer")) {
            throw unauthorized("it asks for an unsupported authentication scheme");
        }
        Map<String, String> p = new java.util.HashMap<>();
        Matcher m = PARAM.matcher(challenge);
        while (m.find()) {
            p.put(m.group(1).toLowerCase(Locale.ROOT), m.group(2));
        }
        String realm = p.get("realm");
        if (realm == null) {
            throw unauthorized("its bearer challenge names no realm");
        }
        String key = realm + " " + p.getOrDefault("service", "") + " " + p.getOrDefault("scope", "");
        if (key.equals(scheme)) {
            return false;  // a fresh token was refused: do not loop
        }
        StringBuilder q = new StringBuilder(realm).append(realm.contains("?") ? '&' : '?');
        if (p.containsKey("service")) {
            q.append("service=").append(URLEncoder.encode(p.get("service"), StandardCharsets.UTF_8)).append('&');
        }
        if (p.containsKey("scope")) {
            q.append("scope=").append(URLEncoder.encode(p.get("scope"), StandardCharsets.UTF_8));
        }
        URI tokenUri;
        try {
            tokenUri = URI.create(q.toString());
        } catch (IllegalArgumentException e) {
            throw unauthorized("its token realm is not a URL");
        }
        Origin tokenOrigin = Origin.of(tokenUri);
        if ("http".equals(tokenOrigin.scheme()) && !tokenOrigin.loopback() && "https".equals(registry.scheme())) {
            throw new VboxmcpException(ErrorCode.POLICY_VIOLATION, "registry " + registry
                    + " sends logins to a plain-http token server; refused");
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(tokenUri).timeout(Duration.ofNanos(Math.max(1,
                deadline - System.nanoTime()))).GET();
        // the login goes to the token server only when it is the registry's own origin (REG-08); elsewhere the
        // token is asked for anonymously
        if (credentials != null && tokenOrigin.equals(registry)) {
            b.header("Authorization", credentials.basicHeader());
        }
        byte[] body;
        int status;
        try {
            HttpResponse<InputStream> r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            status = r.statusCode();
            try (InputStream in = r.body()) {
                body = http.readCapped(in, MAX_TOKEN_BYTES, tokenUri, deadline);
            }
        } catch (HttpTimeoutException e) {
            throw http.timedOut(tokenUri);
        } catch (IOException e) {
            throw new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "token server " + tokenOrigin + " failed: "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VboxmcpException(ErrorCode.CANCELLED, "interrupted", e);
        }
        if (status != 200) {
            throw unauthorized("its token server answered " + status);
        }
        String token;
        try {
            JsonNode n = json.readTree(body);
            JsonNode t = n.hasNonNull("token") ? n.get("token") : n.get("access_token");
            token = t == null || !t.isTextual() ? null : t.asText();
        } catch (IOException e) {
            token = null;
        }
        if (token == null || token.isEmpty()) {
            throw unauthorized("its token server sent no token");
        }
        tokens.put(key, token);
        scheme = key;
        return true;
    }

    private VboxmcpException unauthorized(String why) {
        return new VboxmcpException(ErrorCode.SOURCE_UNAVAILABLE, "registry " + registry + " refused access: " + why);
    }
}
