package io.vboxmcp.testkit;

import io.vboxmcp.HypervisorException;
import io.vboxmcp.ProgressListener;
import io.vboxmcp.spi.CloudInitSeed;
import io.vboxmcp.spi.HostPort;
import io.vboxmcp.spi.HostPorts;
import io.vboxmcp.spi.ProviderContext;
import io.vboxmcp.spi.SeedWriter;
import io.vboxmcp.spi.SignatureVerifier;
import io.vboxmcp.spi.TrustedKey;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A {@link ProviderContext} that passes every call to another one and records what a driver asked of the host
 * services: each port it was handed (and whether it gave it back) and each seed it wrote. The driver compatibility
 * kit uses it to check that drivers take their ports and seeds from the context, not from rules of their own.
 */
public final class RecordingProviderContext implements ProviderContext {
    /** A port handed to the driver. */
    public static final class RecordedPort {
        private final HostPort port;
        private volatile boolean closed;

        RecordedPort(HostPort port) {
            this.port = port;
        }

        public int port() {
            return port.port();
        }

        /** @return whether the driver gave the port back */
        public boolean closed() {
            return closed;
        }
    }

    /** A seed the driver wrote, and where. */
    public record RecordedSeed(CloudInitSeed seed, Path iso) {
    }

    private final ProviderContext delegate;
    /** Every port handed out so far, in order. */
    public final List<RecordedPort> ports = new CopyOnWriteArrayList<>();
    /** Every seed written so far, in order. */
    public final List<RecordedSeed> seeds = new CopyOnWriteArrayList<>();

    /** @param delegate never null */
    public RecordingProviderContext(ProviderContext delegate) {
        this.delegate = delegate;
    }

    @Override
    public Path home() {
        return delegate.home();
    }

    @Override
    public Optional<String> config(String key) {
        return delegate.config(key);
    }

    @Override
    public Path cacheDir(String providerId) {
        return delegate.cacheDir(providerId);
    }

    @Override
    public List<TrustedKey> trustedKeys(String sourceId) {
        return delegate.trustedKeys(sourceId);
    }

    @Override
    public Optional<SignatureVerifier> verifier(String format) {
        return delegate.verifier(format);
    }

    @Override
    public ProgressListener progress() {
        return delegate.progress();
    }

    @Override
    public HostPorts hostPorts() {
        HostPorts real = delegate.hostPorts();
        return new HostPorts() {
            @Override
            public HostPort allocate(String address) throws HypervisorException {
                return record(real.allocate(address));
            }

            @Override
            public Optional<HostPort> reserve(String address, int port) throws HypervisorException {
                return real.reserve(address, port).map(RecordingProviderContext.this::record);
            }
        };
    }

    private HostPort record(HostPort port) {
        RecordedPort r = new RecordedPort(port);
        ports.add(r);
        return new HostPort() {
            @Override
            public String address() {
                return port.address();
            }

            @Override
            public int port() {
                return port.port();
            }

            @Override
            public void close() {
                r.closed = true;
                port.close();
            }
        };
    }

    @Override
    public SeedWriter seedWriter() {
        SeedWriter real = delegate.seedWriter();
        return (seed, iso) -> {
            real.write(seed, iso);
            seeds.add(new RecordedSeed(seed, iso));
        };
    }

    /** @return the port numbers handed out so far */
    public List<Integer> portNumbers() {
        return ports.stream().map(RecordedPort::port).toList();
    }
}
