/*
 * pixels: count the pixels of a binary PPM (P6, maxval 255, as
 * `convert FILE.png ppm:-` writes it) in rectangles, for the screenshot
 * checks of tests/report/run.sh.
 *
 *   pixels FILE.ppm                   prints "WIDTH HEIGHT"
 *   pixels FILE.ppm X0 Y0 X1 Y1 ...   prints "SATURATED DARK" per rectangle
 *
 * A rectangle is [X0, X1) x [Y0, Y1), clipped to the image. SATURATED
 * counts pixels whose channels differ by more than 60 (the colours data is
 * drawn in; greys, black and white are not), DARK pixels whose brightest
 * channel is below 110 (text, axes). Built with nothing but libc.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

static int pixels_int(FILE *f, long *out)
{
	int c;
	long v = 0;

	/* blanks and comments before the number */
	for (;;) {
		c = fgetc(f);
		if (c == '#') {
			while (c != '\n' && c != EOF)
				c = fgetc(f);
			continue;
		}
		if (c == EOF)
			return -1;
		if (!isspace(c))
			break;
	}
	if (!isdigit(c))
		return -1;
	while (isdigit(c)) {
		v = v * 10 + (c - '0');
		if (v > 1000000)
			return -1;
		c = fgetc(f);
	}
	/* one blank ends the header's last number */
	if (c == EOF || !isspace(c))
		return -1;
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	long w, h, maxval, x, y, r[4];
	unsigned char *img;
	size_t n;
	FILE *f;
	int i, k;

	if (argc < 2 || (argc - 2) % 4) {
		fprintf(stderr, "usage: pixels FILE.ppm [X0 Y0 X1 Y1]...\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f || fgetc(f) != 'P' || fgetc(f) != '6' ||
	    pixels_int(f, &w) || pixels_int(f, &h) || pixels_int(f, &maxval) ||
	    w < 1 || h < 1 || maxval != 255) {
		fprintf(stderr, "pixels: %s: not a P6 PPM of maxval 255\n",
			argv[1]);
		return 2;
	}
	n = (size_t)w * (size_t)h * 3;
	img = malloc(n);
	if (!img || fread(img, 1, n, f) != n) {
		fprintf(stderr, "pixels: %s: short file\n", argv[1]);
		return 2;
	}
	fclose(f);
	if (argc == 2) {
		printf("%ld %ld\n", w, h);
		return 0;
	}
	for (i = 2; i < argc; i += 4) {
		long sat = 0, dark = 0;

		for (k = 0; k < 4; k++)
			r[k] = strtol(argv[i + k], NULL, 10);
		if (r[0] < 0)
			r[0] = 0;
		if (r[1] < 0)
			r[1] = 0;
		if (r[2] > w)
			r[2] = w;
		if (r[3] > h)
			r[3] = h;
		for (y = r[1]; y < r[3]; y++)
			for (x = r[0]; x < r[2]; x++) {
				const unsigned char *p =
					img + ((size_t)y * (size_t)w +
					       (size_t)x) * 3;
				int mx = p[0], mn = p[0], c;

				for (c = 1; c < 3; c++) {
					if (p[c] > mx)
						mx = p[c];
					if (p[c] < mn)
						mn = p[c];
				}
				if (mx - mn > 60)
					sat++;
				if (mx < 110)
					dark++;
			}
		printf("%ld %ld\n", sat, dark);
	}
	free(img);
	return 0;
}
