/** What the panel may upload (`file` of the multipart send); the server decides from the bytes. */
export const MEDIA_UPLOAD = {
  maxBytes: 16 * 1024 * 1024,
  maxImageBytes: 5 * 1024 * 1024,
  /** For the file picker's `accept`: a hint only. */
  accept: '.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.txt,image/jpeg,image/png,audio/*,video/mp4,video/3gpp',
} as const;
