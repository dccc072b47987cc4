package io.rendan.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Request bodies held to the documented contract before the protobuf parsers see
 * them, whose JSON side is lenient (it takes {@code true} or {@code 1} for a
 * string, comments, a byte order mark) and whose binary side keeps fields it does
 * not know, wrong wire types included, as unknown fields. Both encodings are
 * refused alike with {@code request:malformed}: not JSON (RFC 8259, no comments,
 * no BOM, nothing after the value), a value of the wrong JSON type for its field,
 * an unknown field, nesting deeper than {@link #MAX_DEPTH}. The depth is checked
 * as the text is read, without recursion past it, so no body can exhaust the
 * stack.
 */
public final class StrictInput {
  /** Deeper than any request message; a body nested further is refused. */
  public static final int MAX_DEPTH = 32;

  private static final JsonFactory JSON =
      JsonFactory.builder()
          .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  private StrictInput() {}

  /** Parses JSON into {@code builder} after {@link #checkJson}; {@code request:malformed} otherwise. */
  public static void mergeJson(String json, Message.Builder builder) {
    checkJson(json, builder.getDescriptorForType());
    try {
      HttpCodec.JSON_PARSER.merge(json, builder);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw malformed(HttpCodec.describe(e));
    }
  }

  /** Parses binary protobuf into {@code builder}, refusing fields the message does not have. */
  public static void mergeProtobuf(byte[] bytes, Message.Builder builder) {
    try {
      builder.mergeFrom(bytes);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw malformed(HttpCodec.describe(e));
    }
    String unknown = unknownField(builder, "");
    if (unknown != null) {
      throw malformed("unknown field or wrong wire type at " + unknown);
    }
  }

  /**
   * Per message type, where an unknown field can hide: its message fields outside
   * a oneof, and its oneofs that have a message member. A oneof is asked for the
   * one member it holds instead of every member being asked whether it is set:
   * {@code ClientFrame} has a oneof of some fifty requests, and asking each of them
   * was a few per cent of a WebSocket request's node CPU.
   */
  private record Nested(List<FieldDescriptor> fields, List<OneofDescriptor> oneofs) {
    static Nested of(Descriptor type) {
      List<FieldDescriptor> fields = new ArrayList<>();
      Set<OneofDescriptor> oneofs = new LinkedHashSet<>();
      for (FieldDescriptor f : type.getFields()) {
        if (f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
          continue;
        }
        if (f.getRealContainingOneof() != null) {
          oneofs.add(f.getRealContainingOneof());
        } else {
          fields.add(f);
        }
      }
      return new Nested(List.copyOf(fields), List.copyOf(oneofs));
    }
  }

  private static final Map<Descriptor, Nested> NESTED = new ConcurrentHashMap<>();

  /** The path of the first unknown field in a message, or null. */
  static String unknownField(MessageOrBuilder message, String path) {
    if (!message.getUnknownFields().isEmpty()) {
      int number = message.getUnknownFields().asMap().keySet().iterator().next();
      return path + "#" + number;
    }
    Nested nested = NESTED.computeIfAbsent(message.getDescriptorForType(), Nested::of);
    for (OneofDescriptor oneof : nested.oneofs()) {
      FieldDescriptor set = message.getOneofFieldDescriptor(oneof);
      if (set != null && set.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        String found = unknownField((Message) message.getField(set), at(path, set));
        if (found != null) {
          return found;
        }
      }
    }
    for (FieldDescriptor field : nested.fields()) {
      if (field.isRepeated()) {
        for (int i = 0, n = message.getRepeatedFieldCount(field); i < n; i++) {
          String found = unknownField((Message) message.getRepeatedField(field, i), at(path, field));
          if (found != null) {
            return found;
          }
        }
      } else if (message.hasField(field)) {
        String found = unknownField((Message) message.getField(field), at(path, field));
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private static String at(String path, FieldDescriptor field) {
    return path.isEmpty() ? field.getJsonName() : path + "." + field.getJsonName();
  }

  /** Refuses what is not strict JSON for {@code descriptor}, as described on the class. */
  public static void checkJson(String json, Descriptor descriptor) {
    if (!json.isEmpty() && json.charAt(0) == '\uFEFF') {
      throw malformed("a byte order mark is not JSON");
    }
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw malformed("the body must be a JSON object");
      }
      object(p, descriptor, 1, "");
      if (p.nextToken() != null) {
        throw malformed("text after the JSON object");
      }
    } catch (IOException e) {
      throw malformed(firstLine(e.getMessage()));
    }
  }

  /** The current token is START_OBJECT of a message of {@code type}. */
  private static void object(JsonParser p, Descriptor type, int depth, String path) throws IOException {
    if (depth > MAX_DEPTH) {
      throw malformed("nested deeper than " + MAX_DEPTH + " levels");
    }
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      FieldDescriptor field = field(type, name);
      String at = path.isEmpty() ? name : path + "." + name;
      if (field == null) {
        throw malformed("unknown field " + at);
      }
      p.nextToken();
      value(p, field, depth, at);
    }
    if (t != JsonToken.END_OBJECT) {
      throw malformed("unexpected " + t + " in an object");
    }
  }

  private static FieldDescriptor field(Descriptor type, String name) {
    FieldDescriptor byName = type.findFieldByName(name);
    if (byName != null) {
      return byName;
    }
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJsonName().equals(name)) {
        return f;
      }
    }
    return null;
  }

  /** The current token starts the value of {@code field}. */
  private static void value(JsonParser p, FieldDescriptor field, int depth, String path) throws IOException {
    JsonToken t = p.currentToken();
    if (t == JsonToken.VALUE_NULL) {
      return; // the field's default, as the JSON mapping says; the parser decides where it may not stand
    }
    if (field.isMapField()) {
      expect(t == JsonToken.START_OBJECT, path, "an object");
      if (depth + 1 > MAX_DEPTH) {
        throw malformed("nested deeper than " + MAX_DEPTH + " levels");
      }
      FieldDescriptor valueField = field.getMessageType().findFieldByName("value");
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String at = path + "." + p.currentName();
        p.nextToken();
        single(p, valueField, depth + 1, at);
      }
      expect(t == JsonToken.END_OBJECT, path, "an object");
    } else if (field.isRepeated()) {
      expect(t == JsonToken.START_ARRAY, path, "an array");
      if (depth + 1 > MAX_DEPTH) {
        throw malformed("nested deeper than " + MAX_DEPTH + " levels");
      }
      int i = 0;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          throw malformed("unterminated array " + path);
        }
        single(p, field, depth + 1, path + "[" + i++ + "]");
      }
    } else {
      single(p, field, depth, path);
    }
  }

  /** One value (not a list or map) of {@code field}; the current token starts it. */
  private static void single(JsonParser p, FieldDescriptor field, int depth, String path) throws IOException {
    JsonToken t = p.currentToken();
    switch (field.getJavaType()) {
      case STRING, BYTE_STRING -> expect(t == JsonToken.VALUE_STRING, path, "a string");
      case BOOLEAN -> expect(t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE, path, "true or false");
      // 64-bit integers are strings in the JSON mapping; numbers are accepted too
      case INT, LONG, FLOAT, DOUBLE -> expect(t.isNumeric() || t == JsonToken.VALUE_STRING, path, "a number");
      case ENUM -> expect(t == JsonToken.VALUE_STRING || t == JsonToken.VALUE_NUMBER_INT, path, "an enum name");
      case MESSAGE -> message(p, field.getMessageType(), depth, path);
    }
  }

  private static void message(JsonParser p, Descriptor type, int depth, String path) throws IOException {
    JsonToken t = p.currentToken();
    String name = type.getFullName();
    switch (name) {
      case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask" ->
          expect(t == JsonToken.VALUE_STRING, path, "a string");
      case "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Any" ->
          anything(p, depth, path);
      default -> {
        if (name.startsWith("google.protobuf.") && name.endsWith("Value")) {
          single(p, type.findFieldByName("value"), depth, path); // a wrapper is written as its value
        } else {
          expect(t == JsonToken.START_OBJECT, path, "an object");
          object(p, type, depth + 1, path);
        }
      }
    }
  }

  /** Any JSON value, its depth still counted. */
  private static void anything(JsonParser p, int depth, String path) throws IOException {
    int level = 0;
    JsonToken t = p.currentToken();
    do {
      if (t == null) {
        throw malformed("unterminated value " + path);
      }
      if (t.isStructStart()) {
        level++;
        if (depth + level > MAX_DEPTH) {
          throw malformed("nested deeper than " + MAX_DEPTH + " levels");
        }
      } else if (t.isStructEnd()) {
        level--;
      }
      if (level == 0) {
        return;
      }
      t = p.nextToken();
    } while (true);
  }

  private static void expect(boolean ok, String path, String what) {
    if (!ok) {
      throw malformed(path + " must be " + what);
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "not JSON";
    }
    String line = message.lines().findFirst().orElse("not JSON");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  private static ApiException malformed(String why) {
    return new ApiException(ErrorCodes.REQUEST_MALFORMED, "malformed body: " + why);
  }
}
