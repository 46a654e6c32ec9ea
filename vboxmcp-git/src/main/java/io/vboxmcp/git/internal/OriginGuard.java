package io.vboxmcp.git.internal;

import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.http.HttpConnection;
import org.eclipse.jgit.transport.http.HttpConnectionFactory;
import org.eclipse.jgit.transport.http.HttpConnectionFactory2;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.util.Locale;

/**
 * Wraps one transport's HTTP connection factory so that no {@code Authorization} header ever leaves for an origin
 * other than the configured one. JGit follows the initial redirect and keeps the authentication it negotiated,
 * sending the secret to the redirect target; an origin check in the credentials provider alone cannot stop that.
 */
final class OriginGuard {
    private OriginGuard() {
    }

    static HttpConnectionFactory wrap(HttpConnectionFactory factory, URIish origin) {
        InvocationHandler h = (proxy, method, args) -> {
            Object result = invoke(factory, method, args);
            if (result instanceof HttpConnection c && args != null && args.length > 0 && args[0] instanceof URL url) {
                return guard(c, sameOrigin(origin, url));
            }
            if (result instanceof HttpConnectionFactory2.GitSession session) {
                return session(session);
            }
            return result;
        };
        Class<?>[] types = factory instanceof HttpConnectionFactory2
                ? new Class<?>[] {HttpConnectionFactory2.class} : new Class<?>[] {HttpConnectionFactory.class};
        return (HttpConnectionFactory) Proxy.newProxyInstance(OriginGuard.class.getClassLoader(), types, h);
    }

    private static HttpConnection guard(HttpConnection c, boolean sameOrigin) {
        return (HttpConnection) Proxy.newProxyInstance(OriginGuard.class.getClassLoader(),
                new Class<?>[] {HttpConnection.class}, new Guarded(c, sameOrigin));
    }

    /** Sessions configure (TLS) the real connection, so they get it unwrapped. */
    private static HttpConnectionFactory2.GitSession session(HttpConnectionFactory2.GitSession session) {
        return (HttpConnectionFactory2.GitSession) Proxy.newProxyInstance(OriginGuard.class.getClassLoader(),
                new Class<?>[] {HttpConnectionFactory2.GitSession.class}, (proxy, method, args) -> {
                    if (method.getName().equals("configure") && args != null && args.length > 0
                            && args[0] instanceof HttpConnection c && Proxy.isProxyClass(c.getClass())
                            && Proxy.getInvocationHandler(c) instanceof Guarded g) {
                        Object[] real = args.clone();
                        real[0] = g.delegate;
                        Object configured = invoke(session, method, real);
                        return configured == g.delegate ? c : configured;
                    }
                    return invoke(session, method, args);
                });
    }

    private static final class Guarded implements InvocationHandler {
        final HttpConnection delegate;
        final boolean sameOrigin;

        Guarded(HttpConnection delegate, boolean sameOrigin) {
            this.delegate = delegate;
            this.sameOrigin = sameOrigin;
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (!sameOrigin && method.getName().equals("setRequestProperty") && args != null && args.length == 2
                    && args[0] instanceof String name && (name.equalsIgnoreCase("Authorization")
                    || name.equalsIgnoreCase("Proxy-Authorization") || name.equalsIgnoreCase("Cookie"))) {
                return null;
            }
            return OriginGuard.invoke(delegate, method, args);
        }
    }

    private static Object invoke(Object target, Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    static boolean sameOrigin(URIish origin, URL url) {
        String s = url.getProtocol().toLowerCase(Locale.ROOT);
        int port = url.getPort() > 0 ? url.getPort() : url.getDefaultPort();
        String os = origin.getScheme() == null ? "" : origin.getScheme().toLowerCase(Locale.ROOT);
        int op = origin.getPort() > 0 ? origin.getPort() : os.equals("https") ? 443 : os.equals("http") ? 80 : -1;
        return s.equals(os) && url.getHost() != null && origin.getHost() != null
                && url.getHost().equalsIgnoreCase(origin.getHost()) && port == op;
    }
}
