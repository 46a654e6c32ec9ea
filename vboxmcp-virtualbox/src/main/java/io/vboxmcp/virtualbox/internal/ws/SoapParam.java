package io.vboxmcp.virtualbox.internal.ws;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The request element a parameter becomes: the IDL parameter name ({@code _this} for the object reference). A null
 * argument is left out; a list becomes one element per item (an empty list, none).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface SoapParam {
    String value();
}
