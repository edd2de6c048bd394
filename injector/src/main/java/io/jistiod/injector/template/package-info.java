/** Go's text/template in Java, with the sprig and Istio functions the injection templates use. */
package io.jistiod.injector.template;
