package io.jistiod.injector.template;

/** A protobuf enum value: an int for comparisons, its name when printed or asked for String. */
record GoEnum(String type, String name, long number) {
  @Override
  public String toString() {
    return name;
  }
}
