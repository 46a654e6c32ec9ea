package io.vboxmcp;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where guests fetch packages from instead of the distribution's and language registries' defaults: private mirrors,
 * or the only reachable ones on an air-gapped network. Applied inside every guest this manager provisions, at the start
 * of provisioning (see docs/templates.md, "Package mirrors").
 *
 * <p>Every value is checked when the record is made: URLs must be {@code http} or {@code https} with a host and no
 * credentials, query or fragment; suites and components are short names; an apt source must carry an OpenPGP signing
 * key unless {@link AptSource#allowUnsigned()} says otherwise. Messages never repeat a URL's user information.
 *
 * @param apt                      apt sources, in order; empty for none
 * @param disableDefaultAptSources whether the guest's own apt sources are moved aside (true for an air-gapped guest,
 *                                 the default when an apt source is given)
 * @param pipIndex                 the pip index ({@code index-url}, a PEP 503 "simple" URL); null for pip's default
 * @param pipTrustedHost           whether an {@code http} pip index's host is marked {@code trusted-host}; pip refuses
 *                                 a plain-http index without it; only allowed for an {@code http} index
 * @param npmRegistry              the npm registry; null for npm's default
 *
 * @since 0.2.0
 */
public record PackageMirrors(List<AptSource> apt, boolean disableDefaultAptSources, URI pipIndex,
                             boolean pipTrustedHost, URI npmRegistry) {
    /** No mirrors: guests use their own defaults. */
    public static final PackageMirrors NONE = new PackageMirrors(List.of(), false, null, false, null);

    /** Largest signing key accepted, in bytes: a public key block, not a keyring dump. */
    public static final int MAX_KEY_BYTES = 64 * 1024;

    private static final Pattern SUITE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,63}");
    private static final Pattern COMPONENT = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,63}");
    /** Characters a mirror URL may hold: no whitespace, quotes, backslashes or control characters (files are line based). */
    private static final Pattern URL_CHARS = Pattern.compile("[A-Za-z0-9._~:/%+@!$&()*,;=\\[\\]-]{1,2000}");
    private static final String ARMOR = "-----BEGIN PGP PUBLIC KEY BLOCK-----";

    /**
     * Checks every value.
     *
     * @param apt                      apt mirrors, in order
     * @param disableDefaultAptSources whether the guest's own apt sources are moved aside
     * @param pipIndex                 the pip index, null for PyPI
     * @param pipTrustedHost           whether the pip index's host is trusted (plain http)
     * @param npmRegistry              the npm registry, null for npm's default
     * @throws IllegalArgumentException if a value is not acceptable; the message names the field, never a credential
     */
    public PackageMirrors {
        apt = List.copyOf(Objects.requireNonNull(apt, "apt"));
        if (apt.isEmpty() && disableDefaultAptSources) {
            throw new IllegalArgumentException("disabling the guest's default apt sources needs at least one apt mirror");
        }
        if (pipIndex != null) {
            checkUrl("pip index", pipIndex);
        }
        if (pipTrustedHost && (pipIndex == null || !"http".equals(pipIndex.getScheme()))) {
            throw new IllegalArgumentException("pip trusted-host is only for a plain-http pip index");
        }
        if (npmRegistry != null) {
            checkUrl("npm registry", npmRegistry);
        }
    }

    /** @return true if nothing is configured */
    public boolean isEmpty() {
        return apt.isEmpty() && pipIndex == null && npmRegistry == null;
    }

    /** @return a builder with nothing set */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * One apt repository, written as a deb822 stanza with {@code Signed-By:} pointing at its key.
     *
     * @param uri           the repository root ({@code http://10.0.2.2:8080/debian}), never null
     * @param suites        one or more suites ({@code bookworm}, {@code bookworm-updates}), never empty
     * @param components    components ({@code main}); empty for a flat repository (suite ending in {@code /})
     * @param signingKey    the repository's OpenPGP public key, ASCII-armored or binary; null only with allowUnsigned
     * @param allowUnsigned marks the source {@code Trusted: yes} (no signature check): for tests, never a default
     */
    public record AptSource(URI uri, List<String> suites, List<String> components, byte[] signingKey,
                            boolean allowUnsigned) {
        /**
         * Checks every value.
         *
         * @param uri           the mirror's URL
         * @param suites        the suites to use, at least one
         * @param components    the components to use
         * @param signingKey    the repository's OpenPGP signing key (armored or binary), null only with allowUnsigned
         * @param allowUnsigned whether an unsigned repository is accepted (explicit opt-in)
         * @throws IllegalArgumentException if a value is not acceptable
         */
        public AptSource {
            Objects.requireNonNull(uri, "uri");
            checkUrl("apt mirror", uri);
            suites = List.copyOf(suites);
            components = List.copyOf(components);
            if (suites.isEmpty()) {
                throw new IllegalArgumentException("an apt mirror needs at least one suite");
            }
            for (String s : suites) {
                if (!SUITE.matcher(s).matches() || s.contains("..")) {
                    throw new IllegalArgumentException("'" + printable(s) + "' is not an apt suite name");
                }
            }
            for (String c : components) {
                if (!COMPONENT.matcher(c).matches() || c.contains("..")) {
                    throw new IllegalArgumentException("'" + printable(c) + "' is not an apt component name");
                }
            }
            if (signingKey != null) {
                signingKey = signingKey.clone();
                if (signingKey.length == 0 || signingKey.length > MAX_KEY_BYTES) {
                    throw new IllegalArgumentException("an apt signing key must be 1 to " + MAX_KEY_BYTES + " bytes");
                }
                if (!isArmored(signingKey) && !isBinaryPublicKey(signingKey)) {
                    throw new IllegalArgumentException("the apt signing key is neither an ASCII-armored OpenPGP public "
                            + "key block nor a binary OpenPGP public key");
                }
            } else if (!allowUnsigned) {
                throw new IllegalArgumentException("an apt mirror needs a signing key (or an explicit allowUnsigned)");
            }
        }

        /** @return whether {@link #signingKey()} is ASCII-armored (false if binary or absent) */
        public boolean armored() {
            return signingKey != null && isArmored(signingKey);
        }

        /** @return a copy of the signing key, null if the mirror is unsigned */
        @Override
        public byte[] signingKey() {
            return signingKey == null ? null : signingKey.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof AptSource a && uri.equals(a.uri) && suites.equals(a.suites)
                    && components.equals(a.components) && Arrays.equals(signingKey, a.signingKey)
                    && allowUnsigned == a.allowUnsigned;
        }

        @Override
        public int hashCode() {
            return Objects.hash(uri, suites, components, Arrays.hashCode(signingKey), allowUnsigned);
        }

        @Override
        public String toString() {
            return "AptSource[" + redact(uri) + " " + suites + " " + components
                    + (signingKey == null ? " unsigned" : " key " + signingKey.length + " bytes") + "]";
        }
    }

    /** Collects mirror settings; {@link #build()} checks them. Not thread-safe. */
    public static final class Builder {
        private final List<AptSource> apt = new ArrayList<>();
        private Boolean disableDefaults;
        private URI pipIndex;
        private boolean pipTrustedHost;
        private URI npmRegistry;

        private Builder() {
        }

        /**
         * Adds an apt source.
         *
         * @param source the mirror, never null
         * @return this builder
         */
        public Builder apt(AptSource source) {
            apt.add(Objects.requireNonNull(source, "source"));
            return this;
        }

        /**
         * Whether the guest's own apt sources are moved aside; default: yes when an apt source was added.
         *
         * @param on whether to move them aside
         * @return this builder
         */
        public Builder disableDefaultAptSources(boolean on) {
            this.disableDefaults = on;
            return this;
        }

        /**
         * @param index the PEP 503 simple index pip installs from, null for PyPI
         * @return this builder
         */
        public Builder pipIndex(URI index) {
            this.pipIndex = index;
            return this;
        }

        /**
         * Marks a plain-http pip index's host trusted (explicit opt-in; pip refuses plain http without it).
         *
         * @param on whether the host is trusted
         * @return this builder
         */
        public Builder pipTrustedHost(boolean on) {
            this.pipTrustedHost = on;
            return this;
        }

        /**
         * @param registry the npm registry, null for npm's default
         * @return this builder
         */
        public Builder npmRegistry(URI registry) {
            this.npmRegistry = registry;
            return this;
        }

        /**
         * @return the checked settings, never null
         * @throws VboxmcpException with {@link ErrorCode#INVALID_ARGUMENT} if a value is not acceptable
         */
        public PackageMirrors build() throws VboxmcpException {
            try {
                return new PackageMirrors(apt, disableDefaults == null ? !apt.isEmpty() : disableDefaults, pipIndex,
                        pipTrustedHost, npmRegistry);
            } catch (IllegalArgumentException e) {
                throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, e.getMessage(), e);
            }
        }
    }

    /**
     * Parses a mirror URL given as text (command line, configuration), with the same checks as the records.
     *
     * @param what names the setting in messages
     * @param text the URL as given
     * @return the parsed URL
     * @throws VboxmcpException with {@link ErrorCode#INVALID_ARGUMENT}; the message never repeats the text
     */
    public static URI parseUrl(String what, String text) throws VboxmcpException {
        try {
            if (text == null || !URL_CHARS.matcher(text).matches()) {
                throw new IllegalArgumentException("the " + what + " URL holds characters a URL may not");
            }
            URI u = new URI(text);
            checkUrl(what, u);
            return u;
        } catch (URISyntaxException | IllegalArgumentException e) {
            String msg = e instanceof IllegalArgumentException ? e.getMessage() : "the " + what + " is not a URL";
            throw new VboxmcpException(ErrorCode.INVALID_ARGUMENT, msg);
        }
    }

    static void checkUrl(String what, URI u) {
        String s = u.toString();
        if (!URL_CHARS.matcher(s).matches()) {
            throw new IllegalArgumentException("the " + what + " URL holds characters a URL may not");
        }
        if (u.getRawUserInfo() != null) {
            // private mirrors' credentials belong in the guest's netrc/auth.conf, never in files every user can read
            throw new IllegalArgumentException("the " + what + " URL carries credentials; give a URL without them");
        }
        if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
            throw new IllegalArgumentException("the " + what + " URL must be http or https");
        }
        if (u.getHost() == null || u.getRawQuery() != null || u.getRawFragment() != null) {
            throw new IllegalArgumentException("the " + what + " URL needs a host and no query or fragment");
        }
    }

    private static String redact(URI u) {
        return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort())
                + (u.getRawPath() == null ? "" : u.getRawPath());
    }

    private static boolean isArmored(byte[] key) {
        String head = new String(key, 0, Math.min(key.length, 200), StandardCharsets.US_ASCII).stripLeading();
        return head.startsWith(ARMOR);
    }

    /** An OpenPGP public key packet (tag 6), old format (0x98/0x99/0x9A) or new format (0xC6). */
    private static boolean isBinaryPublicKey(byte[] key) {
        int b = key[0] & 0xff;
        return b == 0x98 || b == 0x99 || b == 0x9A || b == 0xC6;
    }

    private static String printable(String s) {
        String t = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
