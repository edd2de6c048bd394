package io.jistiod.it.kubeinject;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;

/**
 * One kube-inject run of the side-by-side corpus: an input file under one set of settings.
 *
 * @param name {@code istio/FILE} or {@code ours/FILE}, with {@code [VARIANT]} for a variant
 * @param input the file given to {@code -f}
 * @param settings the chart values and kube-inject environment of the run
 */
public record InjectCase(String name, Path input, Settings settings) {

  /**
   * What a run is set up with besides its input.
   *
   * @param values chart values given to both charts (an empty object for the defaults)
   * @param iop an IstioOperator file whose {@code spec.values} are given to both charts before
   *     {@code values}, or null
   * @param env environment added to the kube-inject process
   */
  public record Settings(JsonNode values, Path iop, Map<String, String> env) {
    /** The part that decides the charts' rendering (the environment does not). */
    public String chartKey() {
      return values + "|" + (iop == null ? "" : iop.getFileName());
    }
  }
}
