package io.vboxmcp.git.internal;

import org.eclipse.jgit.transport.CredentialItem;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.URIish;

import java.util.Locale;
import java.util.Objects;

/**
 * Answers JGit's credential questions only for the one origin (scheme, host, port) the source was configured
 * with, so a redirect to another host never receives the secret. Never interactive: host-key and passphrase
 * prompts are refused, so unknown SSH hosts fail closed. {@link #none()} answers nothing at all.
 */
final class OriginBoundCredentials extends CredentialsProvider {
    private final String scheme;
    private final String host;
    private final int port;
    private final String user;
    private final char[] password;

    private OriginBoundCredentials(String scheme, String host, int port, String user, char[] password) {
        this.scheme = scheme;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
    }

    /** @return a provider that refuses every question (no credentials, no prompts) */
    static OriginBoundCredentials none() {
        return new OriginBoundCredentials(null, null, -1, null, null);
    }

    /**
     * @param origin the configured URI; its scheme, host and port are the only origin credentials go to
     * @param secret a token or {@code user:password}
     * @param tokenUser user name to pair with a token
     */
    static OriginBoundCredentials forOrigin(URIish origin, String secret, String tokenUser) {
        int colon = secret.indexOf(':');
        String user = colon < 0 ? tokenUser : secret.substring(0, colon);
        char[] pw = (colon < 0 ? secret : secret.substring(colon + 1)).toCharArray();
        return new OriginBoundCredentials(lower(origin.getScheme()), lower(origin.getHost()),
                effectivePort(origin), user, pw);
    }

    boolean sameOrigin(URIish uri) {
        return scheme != null && uri != null && scheme.equals(lower(uri.getScheme()))
                && Objects.equals(host, lower(uri.getHost())) && port == effectivePort(uri);
    }

    private static int effectivePort(URIish u) {
        if (u.getPort() > 0) return u.getPort();
        String s = lower(u.getScheme());
        if ("https".equals(s)) return 443;
        if ("http".equals(s)) return 80;
        return -1;
    }

    private static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    @Override
    public boolean isInteractive() {
        return false;
    }

    @Override
    public boolean supports(CredentialItem... items) {
        if (scheme == null) return false;
        for (CredentialItem i : items) {
            if (!(i instanceof CredentialItem.Username) && !(i instanceof CredentialItem.Password)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean get(URIish uri, CredentialItem... items) {
        if (!sameOrigin(uri) || !supports(items)) {
            return false;
        }
        for (CredentialItem i : items) {
            if (i instanceof CredentialItem.Username u) {
                u.setValue(user);
            } else if (i instanceof CredentialItem.Password p) {
                p.setValue(password.clone());
            }
        }
        return true;
    }

    @Override
    public void reset(URIish uri) {
        // the secret is configuration, not a cached answer: nothing to forget
    }

    @Override
    public String toString() {
        // never print the secret
        return scheme == null ? "no credentials" : "credentials for " + scheme + "://" + host + ":" + port + " (user "
                + user + ", secret of " + (password == null ? 0 : password.length) + " characters)";
    }
}
