// libFuzzer target: librtmp's AMF0 decoder on raw bytes, then everything rtmp.c does with a
// decoded value: look-ups by index and name, the debug dump, and encoding it back.
//
// Input: one byte of options, then the AMF0 bytes.
//   bits 0-1  0: AMF_Decode of a value list (a command's body, as HandleInvoke decodes it)
//             1: AMF_Decode with names (an object's body)
//             2: AMFProp_Decode of one value
//             3: AMFProp_Decode of one named value
// The bytes are copied into a buffer of exactly their size, so ASan sees any read past them.
// Like rtmp.c's callers, nothing is reset after a failed decode: the decoder must not leave
// anything allocated behind (LeakSanitizer checks).
#include <librtmp/amf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log_sink.h"
#include "small_stack.h"

enum { kDecodeList = 0, kDecodeNamedList = 1, kDecodeValue = 2, kDecodeNamedValue = 3 };

// Names rtmp.c looks up in command objects.
static const AVal kLookedUpNames[] = {AVC("code"), AVC("level"), AVC("description"),
                                      AVC("duration"), AVC("objectEncoding")};

int LLVMFuzzerInitialize(int* argc, char*** argv) {
  (void)argc;
  (void)argv;
  FuzzLogSinkInstall();
  FuzzLimitStack();
  return 0;
}

// Reads every property through the accessors rtmp.c uses; their results must stay inside the
// input.
static void ReadAll(AMFObject* obj, const char* input, size_t size) {
  const int count = AMF_CountProp(obj);
  for (int i = 0; i < count; i++) {
    AMFObjectProperty* prop = AMF_GetProp(obj, NULL, i);
    AVal name, text;
    AMFObject child;
    AMFProp_GetName(prop, &name);
    AMFProp_GetString(prop, &text);
    (void)AMFProp_GetNumber(prop);
    (void)AMFProp_GetBoolean(prop);
    if (name.av_len > 0 && (name.av_val < input || name.av_val + name.av_len > input + size)) {
      abort();
    }
    if (text.av_len > 0 && (text.av_val < input || text.av_val + text.av_len > input + size)) {
      abort();
    }
    AMFProp_GetObject(prop, &child);
    ReadAll(&child, input, size);
  }
  for (size_t i = 0; i < sizeof(kLookedUpNames) / sizeof(kLookedUpNames[0]); i++) {
    (void)AMF_GetProp(obj, &kLookedUpNames[i], -1);
  }
}

// Encodes with a roomy buffer, then into heap buffers of exactly the size it took and one
// byte less: the encoder must stop at the end it is given (ASan checks it does).
typedef char* (*EncodeFunction)(void* what, char* buffer, char* end);

static char* EncodeObject(void* what, char* buffer, char* end) {
  return AMF_Encode((AMFObject*)what, buffer, end);
}

static char* EncodeProperty(void* what, char* buffer, char* end) {
  return AMFProp_Encode((AMFObjectProperty*)what, buffer, end);
}

static void EncodeWithin(EncodeFunction encode, void* what, size_t input_size) {
  const size_t roomy = 2 * input_size + 64;
  char* buffer = malloc(roomy);
  if (buffer == NULL) abort();
  char* out = encode(what, buffer, buffer + roomy);
  free(buffer);
  if (out == NULL) return;
  const size_t used = (size_t)(out - buffer);
  for (size_t size = used; size + 1 >= used && size > 0; size--) {
    char* exact = malloc(size);
    if (exact == NULL) abort();
    char* end = encode(what, exact, exact + size);
    if (end != NULL && end > exact + size) abort();
    free(exact);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size - 1 > INT32_MAX) return -1;
  const int mode = data[0] & 3;
  const size_t amf_size = size - 1;
  char* amf = malloc(amf_size > 0 ? amf_size : 1);
  if (amf == NULL) abort();
  memcpy(amf, data + 1, amf_size);

  if (mode == kDecodeList || mode == kDecodeNamedList) {
    AMFObject obj;
    if (AMF_Decode(&obj, amf, (int)amf_size, mode == kDecodeNamedList) >= 0) {
      AMF_Dump(&obj);
      ReadAll(&obj, amf, amf_size);
      EncodeWithin(EncodeObject, &obj, amf_size);
      AMF_Reset(&obj);
    }
  } else {
    AMFObjectProperty prop;
    if (AMFProp_Decode(&prop, amf, (int)amf_size, mode == kDecodeNamedValue) >= 0) {
      AMFObject holder = {1, &prop};
      AMFProp_Dump(&prop);
      ReadAll(&holder, amf, amf_size);
      EncodeWithin(EncodeProperty, &prop, amf_size);
      AMFProp_Reset(&prop);
    }
  }
  free(amf);
  return 0;
}
