package io.vboxmcp.junit5;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A VM from a template, on a field or test method parameter of type {@link io.vboxmcp.Vm} in a {@link VmTest}
 * class: a static field lives for the class, an instance field or a parameter for one test.
 *
 * <pre>{@code
 * @TemplateVm(template = "web-demo", version = "^1.0", memory = 256, waitFor = "http:8000/")
 * static Vm web;
 * }</pre>
 */
@Target({ElementType.FIELD, ElementType.PARAMETER})
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface TemplateVm {
    /** @return the template name, resolved through the manager's sources */
    String template();

    /** @return a version or range ({@code 1.0.0}, {@code ^1.0}); empty for the highest release */
    String version() default "";

    /** @return memory in MB; 0 for the template's minimum */
    int memory() default 0;

    /** @return virtual CPUs; 0 for the template's minimum */
    int cpus() default 0;

    /** @return disk in MB; 0 for the template's minimum */
    int diskSize() default 0;

    /**
     * Readiness beyond SSH and provisioning, checked in order after the create (see {@link Wait#parse(String)}):
     * {@code port:8000}, {@code http:8000/health}, {@code command:test -f /ready}, {@code log:REGEX}.
     *
     * @return wait strategies in their short form; empty for none
     */
    String[] waitFor() default {};

    /** @return further wait strategies: classes with a public no-argument constructor, run after {@link #waitFor()} */
    Class<? extends WaitStrategy>[] waitStrategies() default {};

    /** @return seconds all wait strategies together may take */
    int waitTimeoutSeconds() default 120;

    /**
     * Opt-in reuse across runs (Testcontainers' reuse): the VM gets a name derived from this annotation, is left
     * running after the tests and used again by the next run with the same annotation if it is still running.
     * Such VMs are never swept; destroy them with {@code vboxmcp destroy}.
     *
     * @return whether to keep and reuse the VM
     */
    boolean reuse() default false;
}
