package io.jistiod.it.agreement;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Istio's verdicts against ours, document by document, with the explanations applied. */
final class Agreement {
  record Row(CorpusDocument doc, Verdict istio, Verdict ours, Explanations.Entry explanation) {
    boolean agrees() {
      return istio.accepted() == ours.accepted();
    }
  }

  /** Per kind: documents, agreeing accepts, agreeing rejects, disagreements. */
  record Counts(int documents, int agreeAccept, int agreeReject, int disagree) {
    Counts plus(Row r) {
      return new Counts(
          documents + 1,
          agreeAccept + (r.agrees() && r.istio().accepted() ? 1 : 0),
          agreeReject + (r.agrees() && !r.istio().accepted() ? 1 : 0),
          disagree + (r.agrees() ? 0 : 1));
    }
  }

  final List<Row> rows = new ArrayList<>();
  final int templates;

  private Agreement(int templates) {
    this.templates = templates;
  }

  static Agreement compare(
      IstioCorpus.Corpus corpus,
      Map<String, Verdict> istio,
      Map<String, Verdict> ours,
      Explanations explanations) {
    Agreement a = new Agreement(corpus.templates());
    for (CorpusDocument d : corpus.documents()) {
      Verdict i = istio.get(d.id());
      Verdict o = ours.get(d.id());
      Explanations.Entry e =
          i.accepted() == o.accepted() ? null : explanations.explain(d.id(), i, o);
      a.rows.add(new Row(d, i, o, e));
    }
    return a;
  }

  Counts total() {
    Counts c = new Counts(0, 0, 0, 0);
    for (Row r : rows) {
      c = c.plus(r);
    }
    return c;
  }

  Map<String, Counts> byKind() {
    Map<String, Counts> out = new TreeMap<>();
    for (Row r : rows) {
      out.merge(r.doc().kind(), new Counts(0, 0, 0, 0).plus(r), Agreement::sum);
    }
    return out;
  }

  private static Counts sum(Counts a, Counts b) {
    return new Counts(
        a.documents() + b.documents(),
        a.agreeAccept() + b.agreeAccept(),
        a.agreeReject() + b.agreeReject(),
        a.disagree() + b.disagree());
  }

  List<Row> disagreements() {
    return rows.stream().filter(r -> !r.agrees()).toList();
  }

  List<Row> unexplained() {
    return rows.stream().filter(r -> !r.agrees() && r.explanation() == null).toList();
  }

  /** Explanation entries that no longer match any disagreement (to prune after a fix). */
  List<Explanations.Entry> unused(Explanations explanations) {
    Map<Explanations.Entry, Boolean> used = new LinkedHashMap<>();
    explanations.entries().forEach(e -> used.put(e, false));
    for (Row r : rows) {
      if (r.explanation() != null) {
        used.put(r.explanation(), true);
      }
    }
    return used.entrySet().stream().filter(e -> !e.getValue()).map(Map.Entry::getKey).toList();
  }
}
