// The sign-in page, where every sign-out lands: the next person on this browser sees none of the previous
// person's unfinished uploads.
import { forgetEveryone } from './upload_memory.js';

forgetEveryone();
