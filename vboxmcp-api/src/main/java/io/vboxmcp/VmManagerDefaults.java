package io.vboxmcp;

import io.vboxmcp.spi.VmManagerFactory;

import java.nio.file.Path;
import java.util.Comparator;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * What {@link VmManager.Builder} does beyond collecting settings: the default home and finding the implementation.
 * Package-private, not API: kept out of {@link VmManager} so that the interface holds only its public surface.
 */
final class VmManagerDefaults {
    private VmManagerDefaults() {
    }

    /** @return {@code given}, else {@code $VBOXMCP_HOME}, else {@code ~/.vboxmcp}; absolute and normalized */
    static Path home(Path given) {
        Path h = given;
        if (h == null) {
            String env = System.getenv("VBOXMCP_HOME");
            h = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".vboxmcp");
        }
        return h.toAbsolutePath().normalize();
    }

    /**
     * @return a manager from the {@link VmManagerFactory} with the highest priority on the class path
     * @throws VboxmcpException with {@link ErrorCode#INTERNAL} if there is none, or as the factory throws
     */
    static VmManager create(VmManagerConfig config) throws VboxmcpException {
        Optional<VmManagerFactory> factory = ServiceLoader.load(VmManagerFactory.class).stream()
                .map(ServiceLoader.Provider::get)
                .max(Comparator.comparingInt(VmManagerFactory::priority));
        if (factory.isEmpty()) {
            throw new VboxmcpException(ErrorCode.INTERNAL,
                    "no VmManager implementation found: add io.vboxmcp:vboxmcp-core to the class path");
        }
        return factory.get().create(config);
    }
}
