// The one error of the media layer: the encoder's output cannot be turned into FLV.
import { ErrorCodes, RtmpError } from '../errors';

export function mediaError(message: string): RtmpError {
  return new RtmpError(ErrorCodes.MEDIA_INVALID, message);
}
