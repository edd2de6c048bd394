/**
 * Sidecar injection as istiod does it: which pods are injected, the injection parameters, rendering
 * the templates, overlaying them on the pod, post-processing and the admission response.
 */
package io.jistiod.injector;
