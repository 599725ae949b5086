/** What the kernel says about its language (kernel_info and notebook metadata). */
export { BABELSCOPE_LANGUAGE_INFO as LANGUAGE_INFO } from '../../shared/notebook-doc.js';
