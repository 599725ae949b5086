/** What the kernel says about its language (kernel_info and notebook metadata). */
export const LANGUAGE_INFO = {
  name: 'typescript',
  version: '5',
  mimetype: 'text/typescript',
  file_extension: '.ts',
  pygments_lexer: 'typescript',
  codemirror_mode: 'text/typescript',
};
