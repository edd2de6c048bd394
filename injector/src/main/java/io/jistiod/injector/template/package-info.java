/**
 * Go's text/template in Java, with the sprig and Istio functions the injection templates use.
 *
 * <p>No maintained Java library implements Go templates (Jinjava, Pebble and Mustache are other
 * template languages with other whitespace, printing and error rules), so this package is our own
 * interpreter of Go's semantics: {@link io.jistiod.injector.template.Lexer} and {@link
 * io.jistiod.injector.template.Parser} build the tree as text/template/parse does, {@link
 * io.jistiod.injector.template.Executor} walks it as exec.go does, {@link
 * io.jistiod.injector.template.GoFmt}/{@link io.jistiod.injector.template.Printf} print as fmt
 * does, and {@link io.jistiod.injector.template.GoValues} says how Java values stand for Go ones.
 * {@link io.jistiod.injector.template.InjectionFunctions#all()} is the function map istiod gives
 * injection templates (sprig's TxtFuncMap overlaid with Istio's own).
 */
package io.jistiod.injector.template;
