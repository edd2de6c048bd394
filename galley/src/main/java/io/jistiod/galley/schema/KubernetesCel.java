package io.jistiod.galley.schema;

import dev.cel.bundle.Cel;
import dev.cel.bundle.CelFactory;
import dev.cel.common.CelFunctionDecl;
import dev.cel.common.CelOptions;
import dev.cel.common.CelOverloadDecl;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.OpaqueType;
import dev.cel.common.types.SimpleType;
import dev.cel.extensions.CelExtensions;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import io.jistiod.galley.validation.GoUrl;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CEL environment the API server gives {@code x-kubernetes-validations} rules, reduced to what
 * Istio's rules use: the standard library and macros, the strings extension ({@code substring},
 * ...), and Kubernetes' URL library ({@code url}, {@code isURL}, {@code getScheme}, written after
 * its documentation: a URL must be an absolute URI or an absolute path, as Go's {@code
 * url.ParseRequestURI} decides).
 *
 * <p>{@code self} is dynamically typed (the API server types it from the schema; for valid rules
 * the outcome is the same). The API server bounds a rule's cost (1,000,000 units per call); here
 * comprehensions are bounded by {@link #MAX_ITERATIONS}, and the schema's maxItems/maxProperties
 * bound the data, so no rule runs long. Programs are compiled once per expression; thread-safe.
 */
final class KubernetesCel {
  /** Iterations one evaluation may take over all its comprehensions (the per-call cost bound). */
  static final int MAX_ITERATIONS = 1_000_000;

  private static final OpaqueType URL = OpaqueType.create("kubernetes.URL");

  /** A parsed URL; only its scheme is asked for by Istio's rules. */
  record Url(String scheme) {}

  private static final Cel CEL =
      CelFactory.standardCelBuilder()
          .setOptions(CelOptions.current().comprehensionMaxIterations(MAX_ITERATIONS).build())
          .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
          .addCompilerLibraries(CelExtensions.strings())
          .addRuntimeLibraries(CelExtensions.strings())
          .addVar("self", SimpleType.DYN)
          .addFunctionDeclarations(
              CelFunctionDecl.newFunctionDeclaration(
                  "url",
                  CelOverloadDecl.newGlobalOverload("string_to_url", URL, SimpleType.STRING)),
              CelFunctionDecl.newFunctionDeclaration(
                  "isURL",
                  CelOverloadDecl.newGlobalOverload(
                      "is_url_string", SimpleType.BOOL, SimpleType.STRING)),
              CelFunctionDecl.newFunctionDeclaration(
                  "getScheme",
                  CelOverloadDecl.newMemberOverload("url_get_scheme", SimpleType.STRING, URL)))
          .addFunctionBindings(
              CelRuntime.CelFunctionBinding.from("string_to_url", String.class, KubernetesCel::url),
              CelRuntime.CelFunctionBinding.from(
                  "is_url_string", String.class, s -> GoUrl.parseRequestUri(s).ok()),
              CelRuntime.CelFunctionBinding.from("url_get_scheme", Url.class, Url::scheme))
          .build();

  private final Map<String, Object> programs = new ConcurrentHashMap<>();

  /** Kubernetes' {@code url()}: checked as a request URI, its scheme as {@code url.Parse} reads. */
  private static Url url(String s) throws CelEvaluationException {
    GoUrl.Result strict = GoUrl.parseRequestUri(s);
    if (!strict.ok()) {
      throw new CelEvaluationException(
          "URL parse error during conversion from string: parse "
              + FieldError.quote(s)
              + ": "
              + strict.error());
    }
    GoUrl.Result parsed = GoUrl.parse(s);
    return new Url(parsed.ok() ? parsed.scheme() : strict.scheme());
  }

  /** The rule's outcome: a Boolean, or a String saying why it could not be evaluated. */
  Object evaluate(String rule, Object self) {
    Object compiled = programs.computeIfAbsent(rule, KubernetesCel::compile);
    if (compiled instanceof String problem) {
      return "compilation error: " + problem;
    }
    try {
      Object r = ((CelRuntime.Program) compiled).eval(Map.of("self", self));
      return r instanceof Boolean b ? b : "rule did not evaluate to a bool: " + r;
    } catch (CelEvaluationException | RuntimeException e) {
      return message(e);
    }
  }

  private static Object compile(String rule) {
    try {
      return CEL.createProgram(CEL.compile(rule).getAst());
    } catch (CelValidationException | CelEvaluationException e) {
      return e.getMessage();
    }
  }

  private static String message(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    if (m == null) {
      return t.getClass().getSimpleName();
    }
    // cel-java prefixes positions ("evaluation error at <input>:12: "); the API server does not.
    int at = m.indexOf(": ");
    return m.startsWith("evaluation error") && at >= 0 ? m.substring(at + 2) : m;
  }
}
