package io.vboxmcp.virtualbox.internal.ws;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The vboxwebsrv operation a {@link VboxWebPort} method sends, for example {@code IMachine_setMemorySize}. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface SoapOp {
    String value();
}
