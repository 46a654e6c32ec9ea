package io.vboxmcp.junit5;

import io.vboxmcp.junit5.internal.VmExtension;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a test class whose {@link TemplateVm} fields and parameters get VMs, like Testcontainers'
 * {@code @Testcontainers}: a {@code static} field holds one VM for the whole class (created before the first test,
 * destroyed after the last), an instance field or a test method parameter a fresh VM for each test (destroyed
 * after it, also when it fails). VMs left by a JVM that was killed are destroyed by the next run (they carry the
 * label {@code junit-<pid>-}), and a shutdown hook destroys this JVM's VMs when it exits without finishing the
 * tests (Ctrl-C, SIGTERM).
 *
 * <p>The manager's home is {@link #home()}, else the system property {@value #HOME_PROPERTY}, else the usual default
 * ({@code $VBOXMCP_HOME} or {@code ~/.vboxmcp}); other settings (image catalogs, driver keys) come from system
 * properties and environment variables as for every {@code VmManager} ({@code vboxmcp.image.catalog}, ...).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(VmExtension.class)
public @interface VmTest {
    /** The system property naming the home folder when {@link #home()} is empty. */
    String HOME_PROPERTY = "vboxmcp.junit.home";

    /** @return the home folder of the manager that creates the VMs; empty for the default */
    String home() default "";
}
