#!/usr/bin/env python3
"""Makes the hostile harness's data fixtures under FX (argument 1): IDX, image, CIFAR and text sets, good and damaged.

Needs Pillow and NumPy (Debian: python3-pil python3-numpy). Special files (FIFOs, sockets, device links) are made
per case by the cases themselves, not here. Deterministic: the same files every time.
"""
import gzip
import io
import os
import random
import struct
import sys

import numpy as np
from PIL import Image

FX = sys.argv[1]
SUB = '/work/main/data/fashion-mnist-subset'
SHAKE = '/work/shared/data/tiny-shakespeare.txt'
rng = np.random.default_rng(8)
random.seed(8)

def path(*parts):
    p = os.path.join(FX, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p

def write(rel, data):
    with open(path(rel), 'wb') as f:
        f.write(data)

def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode='wb', mtime=0) as g:
        g.write(data)
    return buf.getvalue()

# ---------- IDX ----------
def sub(name):
    return gzip.open(os.path.join(SUB, name)).read()

tr_im, tr_lb, te_im, te_lb = (sub('train-images-idx3-ubyte.gz'), sub('train-labels-idx1-ubyte.gz'),
                              sub('t10k-images-idx3-ubyte.gz'), sub('t10k-labels-idx1-ubyte.gz'))

def images(n, h=28, w=28, pixels=None, magic=0x803, count=None):
    body = pixels if pixels is not None else tr_im[16:16 + n * 784]
    return struct.pack('>iiii', magic, n if count is None else count, h, w) + body

def labels(values, magic=0x801, count=None):
    values = bytes(values)
    return struct.pack('>ii', magic, len(values) if count is None else count) + values

TRAIN_N, TEST_N = 500, 100
train_labels = tr_lb[8:8 + TRAIN_N]
test_labels = te_lb[8:8 + TEST_N]

def idx_set(name, tri=None, trl=None, tei=None, tel=None, compress=True, skip=()):
    files = {
        'train-images-idx3-ubyte': images(TRAIN_N) if tri is None else tri,
        'train-labels-idx1-ubyte': labels(train_labels) if trl is None else trl,
        't10k-images-idx3-ubyte': struct.pack('>iiii', 0x803, TEST_N, 28, 28) + te_im[16:16 + TEST_N * 784] if tei is None else tei,
        't10k-labels-idx1-ubyte': labels(test_labels) if tel is None else tel,
    }
    for f, data in files.items():
        if f in skip:
            continue
        if compress:
            write(f'{name}/{f}.gz', gz(data))
        else:
            write(f'{name}/{f}', data)

idx_set('idx')                                   # the good small set: 500 training, 100 test images, labels 0-9
idx_set('fashion-small')                         # the same, in a folder whose name says fashion (class names)
idx_set('idx-raw', compress=False)               # uncompressed
idx_set('idx-badmagic', tri=images(TRAIN_N, magic=0x804))
idx_set('idx-labels-as-images', trl=images(TRAIN_N))          # the labels file holds images
idx_set('idx-trunc', tri=images(TRAIN_N)[:-1000])              # images end early
idx_set('idx-count-big', tri=images(TRAIN_N, count=0x7FFFFFFF))  # the header promises 2^31-1 images
idx_set('idx-count-zero', tri=images(0, pixels=b''), trl=labels(b''))
idx_set('idx-neg-dims', tri=struct.pack('>iiii', 0x803, TRAIN_N, -28, 28) + tr_im[16:16 + TRAIN_N * 784])
idx_set('idx-huge-dims', tri=struct.pack('>iiii', 0x803, 1, 65536, 65536) + b'\0' * 100)
idx_set('idx-mismatch', trl=labels(train_labels[:-7]))          # 493 labels for 500 images
idx_set('idx-test-oob', tel=labels(bytes([12]) + test_labels[1:]))  # a test label 12 of 10 classes
idx_set('idx-train-gap', trl=labels(bytes(b if b < 5 else 9 for b in train_labels)))  # labels 0-4 and 9: 5 to 8 unused
idx_set('idx-one-class', trl=labels(bytes(TRAIN_N)))
idx_set('idx-test-shape', tei=struct.pack('>iiii', 0x803, TEST_N, 20, 20) + bytes(TEST_N * 400))
idx_set('idx-1x1', tri=struct.pack('>iiii', 0x803, TRAIN_N, 1, 1) + bytes(rng.integers(0, 256, TRAIN_N, dtype=np.uint8)),
        tei=struct.pack('>iiii', 0x803, TEST_N, 1, 1) + bytes(rng.integers(0, 256, TEST_N, dtype=np.uint8)))
idx_set('idx-no-test', skip=('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'))
idx_set('idx-no-train-labels', skip=('train-labels-idx1-ubyte',))
idx_set('idx-test-zero', tei=struct.pack('>iiii', 0x803, 0, 28, 28), tel=labels(b''))
idx_set('idx-trailing', tri=images(TRAIN_N) + b'\xff' * 5000)  # more bytes than the header promises
idx_set('idx-labels-255', trl=labels(bytes(255 if i == 3 else b for i, b in enumerate(train_labels))))
# gzip damage
idx_set('idx-gz-trunc')
p = path('idx-gz-trunc/train-images-idx3-ubyte.gz')
data = open(p, 'rb').read(); open(p, 'wb').write(data[:len(data) // 2])
idx_set('idx-gz-flip')
p = path('idx-gz-flip/train-images-idx3-ubyte.gz')
data = bytearray(open(p, 'rb').read()); data[len(data) // 2] ^= 0xFF; open(p, 'wb').write(bytes(data))
idx_set('idx-gz-crc')   # the trailer's CRC wrong: the data inflate whole
p = path('idx-gz-crc/train-images-idx3-ubyte.gz')
data = bytearray(open(p, 'rb').read()); data[-8] ^= 0xFF; open(p, 'wb').write(bytes(data))
idx_set('idx-gz-notgz', compress=True)
write('idx-gz-notgz/train-images-idx3-ubyte.gz', images(TRAIN_N))   # uncompressed data named .gz
idx_set('idx-gz-empty')
write('idx-gz-empty/train-labels-idx1-ubyte.gz', b'')
idx_set('idx-gz-concat')  # two gzip members: header+half, then the rest (valid gzip, read whole by gzip -d)
whole = images(TRAIN_N)
write('idx-gz-concat/train-images-idx3-ubyte.gz', gz(whole[:len(whole) // 2]) + gz(whole[len(whole) // 2:]))
# both a .gz and a raw file that disagree
idx_set('idx-both')
write('idx-both/train-labels-idx1-ubyte', labels(bytes(TRAIN_N - 1)))   # raw: 499 labels, all 0
# classes.txt variants (labels 0-9)
names = [f'class {i}' for i in range(10)]
for name, content in {
    'idx-classes': '\n'.join(names) + '\n',
    'idx-classes-dup': '\n'.join(names[:9] + ['class 0']) + '\n',
    'idx-classes-empty': '',
    'idx-classes-blank': '\n\n  \n',
    'idx-classes-few': '\n'.join(names[:5]) + '\n',
    'idx-classes-bom': '\ufeff' + '\n'.join(names) + '\n',
    'idx-classes-crlf': '\r\n'.join(names) + '\r\n',
    'idx-classes-many': '\n'.join(f'c{i}' for i in range(300)) + '\n',
    'idx-classes-ws-dup': '\n'.join(names[:9] + [' class 0 ']) + '\n',
}.items():
    idx_set(name)
    write(f'{name}/classes.txt', content.encode('utf-8'))
idx_set('idx-classes-utf16')
write('idx-classes-utf16/classes.txt', ('\n'.join(names) + '\n').encode('utf-16'))
idx_set('idx-classes-latin1')
write('idx-classes-latin1/classes.txt', ('\n'.join(names[:9] + ['caf\xe9']) + '\n').encode('latin-1'))
idx_set('idx-classes-binary')
write('idx-classes-binary/classes.txt', bytes(rng.integers(0, 256, 300, dtype=np.uint8)))

# ---------- images ----------
COLORS = {'a': (220, 40, 40), 'b': (40, 200, 60), 'c': (40, 60, 220)}

def png(color, size=8, mode='RGB', noise=True, fmt='PNG', **kw):
    arr = np.zeros((size, size, 3), dtype=np.uint8) + np.array(color, dtype=np.uint8)
    if noise:
        arr = np.clip(arr.astype(int) + rng.integers(-30, 30, arr.shape), 0, 255).astype(np.uint8)
    im = Image.fromarray(arr, 'RGB')
    if mode != 'RGB':
        im = im.convert(mode)
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()

def image_folder(name, classes=('a', 'b', 'c'), per=10, fmt='PNG', ext='png', **kw):
    for k in classes:
        for i in range(per):
            write(f'{name}/{k}/{i:03d}.{ext}', png(COLORS.get(k[-1:], (128, 128, 128)) if k[-1:] in COLORS else tuple(int(x) for x in rng.integers(0, 255, 3)), fmt=fmt, **kw))

image_folder('img')                                   # 3 classes of 10 8x8 RGB PNGs
image_folder('img-b', classes=('a', 'b'))             # 2 classes, for another model
image_folder('img-jpg', fmt='JPEG', ext='jpg')
image_folder('img-one', classes=('a',))
image_folder('img-1each', per=1)
image_folder('img-2each', per=2)
image_folder('img-trainval/train'); image_folder('img-trainval/val', per=3)
image_folder('img-val-extra/train', classes=('a', 'b')); image_folder('img-val-extra/val', classes=('a', 'b', 'c'), per=2)
image_folder('img-val-only/val')
os.makedirs(path('img-val-only/train/x'), exist_ok=True)  # train/ has one empty class folder
image_folder('img-trainval-file/val')
write('img-trainval-file/train', b'not a folder')
image_folder('img-empty-class'); os.makedirs(path('img-empty-class/d'), exist_ok=True)
image_folder('img-case', classes=('cat', 'Cat'))
image_folder('img-hidden')
for k in ('a', 'b', 'c'):
    write(f'img-hidden/{k}/.DS_Store', b'\0\0\0\1Bud1' + bytes(100))
    write(f'img-hidden/{k}/Thumbs.db', bytes(200))
    write(f'img-hidden/{k}/._000.png', b'\0\5\26\7' + bytes(60))       # macOS resource fork, named like an image
    write(f'img-hidden/{k}/desktop.ini', b'[.ShellClassInfo]\r\n')
image_folder('img-hidden/.ipynb_checkpoints', classes=('z',), per=1)
write('img-hidden/__MACOSX/a/._000.png', b'\0\5\26\7' + bytes(60))
write('img-hidden/.git/HEAD', b'ref: refs/heads/main\n')
image_folder('img-hidden-only', classes=('a',))
image_folder('img-hidden-only/.ipynb_checkpoints', classes=('z',), per=2)
image_folder('img-hidden-only/__MACOSX', classes=('z',), per=2)
# damaged images: a class folder among good ones
def bad(name, filename, data):
    image_folder(name)
    write(f'{name}/a/{filename}', data)
good = png(COLORS['a'], size=16)
bad('img-trunc-png', 'zz.png', good[:len(good) // 2])
gj = png(COLORS['a'], size=64, fmt='JPEG')
bad('img-trunc-jpg', 'zz.jpg', gj[:len(gj) // 2])
crc = bytearray(good); crc[40] ^= 0xFF
bad('img-crc-png', 'zz.png', bytes(crc))
bmp = bytearray(png(COLORS['a'], fmt='BMP'))
struct.pack_into('<ii', bmp, 18, 60000, 60000)
bad('img-bmp-huge', 'zz.bmp', bytes(bmp))
bmp2 = bytearray(png(COLORS['a'], fmt='BMP'))
struct.pack_into('<ii', bmp2, 18, 10000, -10000)  # top-down, exactly 100 million pixels
bad('img-bmp-100m', 'zz.bmp', bytes(bmp2))
bmp3 = bytearray(png(COLORS['a'], fmt='BMP'))
struct.pack_into('<ii', bmp3, 18, 0, 0)
bad('img-bmp-zero', 'zz.bmp', bytes(bmp3))
pngh = bytearray(good); struct.pack_into('>II', pngh, 16, 0x7FFFFFFF, 0x7FFFFFFF)
bad('img-png-huge-header', 'zz.png', bytes(pngh))      # IHDR claims 2^31-1 squared (its CRC now wrong)
bad('img-zero-size', 'zz.png', b'')
bad('img-text-png', 'zz.png', b'this is not an image\n' * 10)
bad('img-html-jpg', 'zz.jpg', b'<!DOCTYPE html><html><body>404</body></html>')
bad('img-1x1', 'zz.png', png(COLORS['a'], size=1))
im16 = Image.fromarray((rng.integers(0, 65535, (8, 8))).astype(np.uint16), 'I;16')
buf = io.BytesIO(); im16.save(buf, 'PNG'); bad('img-16bit', 'zz.png', buf.getvalue())
bad('img-cmyk', 'zz.jpg', png(COLORS['a'], mode='CMYK', fmt='JPEG'))
frames = [Image.fromarray(np.full((8, 8, 3), c, np.uint8)) for c in (0, 128, 255)]
buf = io.BytesIO(); frames[0].save(buf, 'GIF', save_all=True, append_images=frames[1:], loop=0, duration=100); bad('img-anim-gif', 'zz.gif', buf.getvalue())
buf = io.BytesIO(); frames[0].save(buf, 'PNG', save_all=True, append_images=frames[1:]); bad('img-apng', 'zz.png', buf.getvalue())
bad('img-webp', 'zz.webp', png(COLORS['a'], fmt='WEBP'))
bad('img-tiff-as-png', 'zz.png', png(COLORS['a'], fmt='TIFF'))
bad('img-big', 'zz.png', png(COLORS['a'], size=4000, noise=False))   # 16 million pixels, a small file
# mixed modes in one folder
for i, mode in enumerate(('L', 'RGB', 'RGBA', 'P', 'LA', '1', 'I')):
    write(f'img-mixed/a/{i}.png', png(COLORS['a'], mode=mode))
    write(f'img-mixed/b/{i}.png', png(COLORS['b'], mode=mode))
write('img-mixed/a/grey.jpg', png(COLORS['a'], mode='L', fmt='JPEG'))
write('img-mixed/b/pal.gif', png(COLORS['b'], mode='P', fmt='GIF'))
write('img-mixed/b/x.bmp', png(COLORS['b'], fmt='BMP'))
image_folder('img-upper', ext='PNG')
image_folder('img-noimages', classes=('a',)); write('img-noimages/b/readme.txt', b'no images here')
image_folder('img-many-classes', classes=tuple(f'k{i:03d}' for i in range(120)), per=2)
# names
image_folder('img-names', classes=('with space', '-dash', 'ünïcødé', 'quote"s', 'back\\slash', 'semi;colon', '$dollar', '{brace}'), per=3)
image_folder('img-newline', classes=('a', 'b\nc'), per=3)
image_folder('img-longname', classes=('a', 'x' * 255), per=3)
image_folder('img-markup', classes=('[red]a', '[b', 'c[/]'.replace('/', '')), per=3)   # Spectre markup in a class name
image_folder('img-emptyname-ish', classes=(' ', '  '), per=3)   # names that are only spaces
# CIFAR
REC = 1 + 3072
def cifar_records(n, labels_=None, label_bytes=1):
    out = bytearray()
    for i in range(n):
        lab = (i % 10) if labels_ is None else labels_[i % len(labels_)]
        out += bytes([lab // 5 if label_bytes == 2 else lab][:label_bytes - 1] if label_bytes == 2 else []) + bytes([lab])
        out += bytes(rng.integers(0, 256, 3072, dtype=np.uint8))
    return bytes(out)
META = ''.join(f'{n}\n' for n in ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']) + '\n'
def cifar(name, skip=(), meta=META, short=None, labels_=None, meta_bytes=None, n=20):
    for i in range(1, 6):
        if f'data_batch_{i}.bin' not in skip:
            write(f'{name}/data_batch_{i}.bin', cifar_records(n, labels_))
    if 'test_batch.bin' not in skip:
        write(f'{name}/test_batch.bin', cifar_records(n))
    if 'meta' not in skip:
        write(f'{name}/batches.meta.txt', meta_bytes if meta_bytes is not None else meta.encode())
    if short:
        p = path(f'{name}/{short}'); d = open(p, 'rb').read(); open(p, 'wb').write(d[:-100])
cifar('cifar')
cifar('cifar-missing3', skip=('data_batch_3.bin',))
cifar('cifar-notest', skip=('test_batch.bin',))
cifar('cifar-short', short='data_batch_2.bin')
cifar('cifar-short-test', short='test_batch.bin')
cifar('cifar-nometa', skip=('meta',))
cifar('cifar-meta-dup', meta=META.replace('frog', 'cat'))
cifar('cifar-meta-empty', meta='')
cifar('cifar-meta-one', meta='cat\n')
cifar('cifar-meta-few', meta='cat\ndog\n')                      # labels run to 9
cifar('cifar-meta-bom', meta='\ufeff' + META)
cifar('cifar-meta-utf16', meta_bytes=META.encode('utf-16'))
cifar('cifar-meta-latin1', meta_bytes=META.replace('cat', 'ch\xe2t').encode('latin-1'))
cifar('cifar-one-class', labels_=[0])
cifar('cifar-empty-batch'); write('cifar-empty-batch/data_batch_4.bin', b'')
cifar('cifar-only1', skip=('data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'))
cifar('cifar-label-oob'); p = path('cifar-label-oob/data_batch_1.bin'); d = bytearray(open(p, 'rb').read()); d[REC * 3] = 200; open(p, 'wb').write(bytes(d))
def cifar100(name, names=True):
    def recs(n):
        out = bytearray()
        for i in range(n):
            out += bytes([i % 20, i % 100]) + bytes(rng.integers(0, 256, 3072, dtype=np.uint8))
        return bytes(out)
    write(f'{name}/train.bin', recs(200)); write(f'{name}/test.bin', recs(100))
    if names:
        write(f'{name}/fine_label_names.txt', ''.join(f'fine{i}\n' for i in range(100)).encode())
        write(f'{name}/coarse_label_names.txt', ''.join(f'coarse{i}\n' for i in range(20)).encode())
cifar100('cifar100'); cifar100('cifar100-nonames', names=False)
# ---------- text ----------
shake = open(SHAKE, 'rb').read()
write('text/small.txt', shake[:20000])
write('text/medium.txt', shake[:200000])
write('text/empty.txt', b'')
write('text/one.txt', b'a')
write('text/two.txt', b'ab')
write('text/short.txt', b'Hello, world.')
write('text/binary.bin', bytes(rng.integers(0, 256, 20000, dtype=np.uint8)))
write('text/latin1.txt', shake[:5000] + 'caf\xe9 na\xefve'.encode('latin-1') + shake[5000:20000])
write('text/utf16le.txt', shake[:20000].decode().encode('utf-16'))
write('text/utf16le-nobom.txt', shake[:20000].decode().encode('utf-16-le'))
write('text/utf16be.txt', b'\xfe\xff' + shake[:20000].decode().encode('utf-16-be'))
write('text/utf32.txt', shake[:20000].decode().encode('utf-32'))
write('text/bom.txt', b'\xef\xbb\xbf' + shake[:20000])
write('text/bom-only.txt', b'\xef\xbb\xbf')
write('text/bom-twice.txt', b'\xef\xbb\xbf\xef\xbb\xbf' + shake[:20000])
write('text/hugeline.txt', shake[:300000].replace(b'\n', b' '))
write('text/nul.txt', shake[:10000] + b'\0' * 100 + shake[10000:20000])
write('text/crlf.txt', shake[:20000].replace(b'\n', b'\r\n'))
write('text/emoji.txt', ('🙂 hello 😀 world 👍🏽 ' * 800).encode())
write('text/cesu.txt', shake[:10000] + b'\xed\xa0\x80' + shake[10000:20000])   # an encoded surrogate: not UTF-8
write('text/overlong.txt', shake[:10000] + b'\xc0\xaf' + shake[10000:20000])
write('text/spaces.txt', b' ' * 20000)
write('text/manychars.txt', ''.join(chr(c) for c in range(0x4E00, 0x4E00 + 6000)).encode() * 3)   # 6000 distinct characters
write('text/folder/a.txt', shake[:10000]); write('text/folder/b.txt', shake[10000:20000])
write('text/folder/index.dat', bytes(rng.integers(0, 256, 200, dtype=np.uint8))); write('text/folder/.hidden', b'\xff\xfe garbage')
write('text/folder-bad/a.txt', shake[:10000]); write('text/folder-bad/b.txt', b'ok\n\xff\xfe bad')
os.makedirs(path('text/folder-empty/sub'), exist_ok=True)
write('text/folder-dat-only/x.dat', b'binary')
print('fixtures made in', FX)
