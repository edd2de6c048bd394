package io.jistiod.it.agreement;

/**
 * One document of an Istio kind from Istio's own source tree, as its bytes stand in the file.
 *
 * @param id {@code <path in istio.io/istio>#<document number from 1>}
 * @param text the document (a test-only top-level {@code _err} line removed, see {@link
 *     IstioCorpus})
 */
record CorpusDocument(String id, String apiVersion, String kind, String text) {}
